// Package tempfile creates temporary files the way nginx names them
// (ngx_create_temp_file): ten-digit numbers from one process-wide counter,
// optionally under hashed level directories, so that log lines such as
// "a client request body is buffered to a temporary file .../0000000001"
// read as nginx's.
package tempfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

var (
	number atomic.Uint32
	// collisionStep is added to the counter when a name is taken
	// (nginx's ngx_random_number: start time and pid).
	collisionStep = uint32(time.Now().UnixMilli()<<16) + uint32(os.Getpid())
)

// Create creates a new file in dir with the next free ten-digit name, in
// the level directories levels asks for (e.g. [1 2] puts 0000000123 in
// dir/3/12/), creating missing directories. The error names the file it
// could not open, as nginx's `open() "..." failed` does.
func Create(dir string, levels []int) (*os.File, error) {
	n := number.Add(1)
	for {
		name := fmt.Sprintf("%010d", n)
		path := filepath.Join(dir, hashed(name, levels), name)
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0600)
		if err == nil {
			return f, nil
		}
		if errors.Is(err, fs.ErrExist) {
			n = number.Add(collisionStep)
			continue
		}
		if errors.Is(err, fs.ErrNotExist) {
			if mkErr := os.MkdirAll(filepath.Dir(path), 0700); mkErr == nil {
				if f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0600); err == nil {
					return f, nil
				}
			}
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: unwrap(err)}
	}
}

// Next takes the next number of the counter Create names files with
// (ngx_next_temp_number), for another name that must not collide, such
// as the copy a rename across file systems makes next to its target.
func Next() uint32 { return number.Add(1) }

// hashed is the level directories of name: the last characters of the
// name, the first level taking the last ones (ngx_create_hashed_filename).
func hashed(name string, levels []int) string {
	if len(levels) == 0 {
		return ""
	}
	parts := make([]string, 0, len(levels))
	end := len(name)
	for _, l := range levels {
		parts = append(parts, name[end-l:end])
		end -= l
	}
	return filepath.Join(parts...)
}

func unwrap(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
