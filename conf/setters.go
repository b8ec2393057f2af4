package conf

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/ascii"
)

// The generic setters. Each takes an accessor from the module's conf type C
// to the field, so a directive table reads like nginx's
// `offsetof(conf, field)` but is checked by the compiler:
//
//	{Name: "proxy_buffering", Context: conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc,
//	 Args: conf.FlagArg, Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.Buffering })}

var (
	errDuplicate     = errors.New("is duplicate")
	errInvalidValue  = errors.New("invalid value")
	errInvalidNumber = errors.New("invalid number")
)

// ErrDuplicate is the setter answer for a value set twice in one block
// (reported as `"NAME" directive is duplicate`).
var ErrDuplicate = errDuplicate

// ErrInvalidValue is the setter answer `"NAME" directive invalid value`.
var ErrInvalidValue = errInvalidValue

func field[C, F any](c *Cmd, get func(*C) *F) *F {
	cf, ok := c.Conf.(*C)
	if !ok {
		panic(fmt.Sprintf("conf: directive %q got conf %T, its setter wants %T", c.Name, c.Conf, cf))
	}
	return get(cf)
}

// ParseFlag parses "on"/"off" (case-insensitively) with nginx's error.
func ParseFlag(c *Cmd, s string) (bool, error) {
	switch {
	case ascii.EqualFold(s, "on"):
		return true, nil
	case ascii.EqualFold(s, "off"):
		return false, nil
	}
	return false, c.Errorf("invalid value \"%s\" in \"%s\" directive, it must be \"on\" or \"off\"", s, c.Name)
}

// SetFlag sets an on/off value (ngx_conf_set_flag_slot).
func SetFlag[C any](get func(*C) *Flag) func(*Cmd) error {
	return func(c *Cmd) error {
		f := field(c, get)
		if f.IsSet() {
			return errDuplicate
		}
		v, err := ParseFlag(c, c.Arg(0))
		if err != nil {
			return err
		}
		f.Set(v)
		return nil
	}
}

// SetNum sets a non-negative integer (ngx_conf_set_num_slot).
func SetNum[C any](get func(*C) *Num) func(*Cmd) error {
	return func(c *Cmd) error {
		f := field(c, get)
		if f.IsSet() {
			return errDuplicate
		}
		n, ok := Atoi(c.Arg(0))
		if !ok || n > int64(^uint(0)>>1) {
			return errInvalidNumber
		}
		f.Set(int(n))
		return nil
	}
}

// SetSize sets a size such as "8k" (ngx_conf_set_size_slot).
func SetSize[C any](get func(*C) *Size) func(*Cmd) error {
	return setScaled(get, ParseSize)
}

// SetOffset sets an offset such as "1g" (ngx_conf_set_off_slot).
func SetOffset[C any](get func(*C) *Size) func(*Cmd) error {
	return setScaled(get, ParseOffset)
}

func setScaled[C any](get func(*C) *Size, parse func(string) (int64, bool)) func(*Cmd) error {
	return func(c *Cmd) error {
		f := field(c, get)
		if f.IsSet() {
			return errDuplicate
		}
		n, ok := parse(c.Arg(0))
		if !ok {
			return errInvalidValue
		}
		f.Set(n)
		return nil
	}
}

// SetMsec sets a duration such as "60s" or "500ms" (ngx_conf_set_msec_slot).
func SetMsec[C any](get func(*C) *Msec) func(*Cmd) error {
	return func(c *Cmd) error {
		f := field(c, get)
		if f.IsSet() {
			return errDuplicate
		}
		d, ok := ParseMsec(c.Arg(0))
		if !ok {
			return errInvalidValue
		}
		f.Set(d)
		return nil
	}
}

// SetSec sets a duration in seconds (ngx_conf_set_sec_slot).
func SetSec[C any](get func(*C) *Sec) func(*Cmd) error {
	return func(c *Cmd) error {
		f := field(c, get)
		if f.IsSet() {
			return errDuplicate
		}
		n, ok := ParseTime(c.Arg(0), true)
		if !ok {
			return errInvalidValue
		}
		f.Set(n)
		return nil
	}
}

// Seconds converts a Sec value to a Duration, saturating.
func Seconds(s int64) time.Duration {
	if s > int64(1<<63-1)/int64(time.Second) {
		return 1<<63 - 1
	}
	return time.Duration(s) * time.Second
}

// SetStr sets a string (ngx_conf_set_str_slot).
func SetStr[C any](get func(*C) *Str) func(*Cmd) error {
	return func(c *Cmd) error {
		f := field(c, get)
		if f.IsSet() {
			return errDuplicate
		}
		f.Set(c.Arg(0))
		return nil
	}
}

// SetStrList appends the argument to a list (ngx_conf_set_str_array_slot).
func SetStrList[C any](get func(*C) *List[string]) func(*Cmd) error {
	return func(c *Cmd) error {
		Append(field(c, get), c.Arg(0))
		return nil
	}
}

// KeyVal is a pair of arguments (ngx_keyval_t).
type KeyVal struct{ Key, Value string }

// SetKeyVal appends the two arguments to a list (ngx_conf_set_keyval_slot).
func SetKeyVal[C any](get func(*C) *List[KeyVal]) func(*Cmd) error {
	return func(c *Cmd) error {
		Append(field(c, get), KeyVal{c.Arg(0), c.Arg(1)})
		return nil
	}
}

// Enum maps names to values for SetEnum and SetBitmask.
type Enum[T any] []struct {
	Name  string
	Value T
}

// SetEnum sets one of a fixed set of names, case-insensitively
// (ngx_conf_set_enum_slot).
func SetEnum[C, T any](e Enum[T], get func(*C) *Val[T]) func(*Cmd) error {
	return func(c *Cmd) error {
		f := field(c, get)
		if f.IsSet() {
			return errDuplicate
		}
		for _, x := range e {
			if ascii.EqualFold(x.Name, c.Arg(0)) {
				f.Set(x.Value)
				return nil
			}
		}
		return c.Errorf("invalid value \"%s\"", c.Arg(0))
	}
}

// SetBitmask ORs the named bits of every argument into the value
// (ngx_conf_set_bitmask_slot); a repeated name is a warning.
func SetBitmask[C any, T ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64](e Enum[T], get func(*C) *Val[T]) func(*Cmd) error {
	return func(c *Cmd) error {
		f := field(c, get)
		v := f.Get()
	args:
		for _, a := range c.Args {
			for _, x := range e {
				if ascii.EqualFold(x.Name, a) {
					if v&x.Value != 0 {
						c.Warnf("duplicate value \"%s\"", a)
					} else {
						v |= x.Value
					}
					continue args
				}
			}
			return c.Errorf("invalid value \"%s\"", a)
		}
		f.Set(v)
		return nil
	}
}

// SetBufs sets a number and size of buffers, "8 4k" (ngx_conf_set_bufs_slot).
func SetBufs[C any](get func(*C) *Val[Bufs]) func(*Cmd) error {
	return func(c *Cmd) error {
		f := field(c, get)
		if f.IsSet() {
			return errDuplicate
		}
		n, ok := Atoi(c.Arg(0))
		if !ok || n == 0 || n > 1<<31 {
			return errInvalidValue
		}
		sz, ok := ParseSize(c.Arg(1))
		if !ok || sz == 0 {
			return errInvalidValue
		}
		f.Set(Bufs{Num: int(n), Size: sz})
		return nil
	}
}

// SetPath sets a file system path, made absolute against the prefix as
// nginx's ngx_conf_set_path_slot does for a path without levels.
func SetPath[C any](get func(*C) *Str) func(*Cmd) error {
	return func(c *Cmd) error {
		f := field(c, get)
		if f.IsSet() {
			return errDuplicate
		}
		f.Set(c.Loader.FullName(c.Arg(0), false))
		return nil
	}
}

// CheckBounds returns nginx's bounds error for n outside [low, high]
// (high < 0 means no upper bound), positioned at c.
func CheckBounds(c *Cmd, n, low, high int64) error {
	if high < 0 {
		if n >= low {
			return nil
		}
		return c.Errorf("value must be equal to or greater than %d", low)
	}
	if n >= low && n <= high {
		return nil
	}
	return c.Errorf("value must be between %d and %d", low, high)
}

// SetAccess sets file permissions from "user:rw group:r all:r"
// arguments (ngx_conf_set_access_slot): each names who (user, group,
// all) and what (r or rw); the value is the Unix mode bits. Without a
// user: argument the user has rw, as in nginx.
func SetAccess[C any](get func(*C) *Val[uint32]) func(*Cmd) error {
	return func(c *Cmd) error {
		f := field(c, get)
		if f.IsSet() {
			return ErrDuplicate
		}
		var mode uint32
		user := uint32(0o600)
		for _, a := range c.Args {
			who, perm, _ := strings.Cut(a, ":")
			var shift uint
			switch who {
			case "user":
				shift, user = 6, 0
			case "group":
				shift = 3
			case "all":
				shift = 0
			default:
				return c.Errorf("invalid value \"%s\"", a)
			}
			switch perm {
			case "r":
				mode |= 4 << shift
			case "rw":
				mode |= 6 << shift
			default:
				return c.Errorf("invalid value \"%s\"", a)
			}
		}
		f.Set(mode | user)
		return nil
	}
}
