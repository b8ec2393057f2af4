package shmzone

import (
	"fmt"
	"math"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
)

// Zone is one zone of a configuration (nginx's shared memory zone with the
// module's context): its key, its state St, which the configuration may
// have taken over from the one before, and Conf, what else the module's
// *_zone directive sets.
type Zone[S, C any] struct {
	Name string
	// Size is 0 while only a limit directive named the zone.
	Size int64
	Key  *httpd.Complex
	St   S
	Conf C
	// Log is the main error log, where nginx's slab allocator and
	// ngx_cycle->log lines go.
	Log *errlog.Log
}

// Zones is the zones of one http block, by name and in the order they
// were first named (by the *_zone directive or by a limit directive).
// The zero value is ready to use.
type Zones[S, C any] struct {
	byName map[string]*Zone[S, C]
	order  []*Zone[S, C]
}

// Named returns the zone called name, adding it (nginx's
// ngx_shared_memory_add); size is 0 where a limit directive names it. A
// size that differs from the one declared before is an error.
func (zs *Zones[S, C]) Named(c *conf.Cmd, name string, size int64) (*Zone[S, C], error) {
	z := zs.byName[name]
	if z == nil {
		if zs.byName == nil {
			zs.byName = map[string]*Zone[S, C]{}
		}
		z = &Zone[S, C]{Name: name}
		zs.byName[name] = z
		zs.order = append(zs.order, z)
	}
	if z.Size == 0 {
		z.Size = size
	}
	if size != 0 && size != z.Size {
		return nil, c.Errorf("the size %d of shared memory zone \"%s\" conflicts with already declared size %d", size, name, z.Size)
	}
	return z, nil
}

// Declare is the end of a *_zone directive (key zone=name:size ...): the
// first argument is compiled as the key, each other argument starting
// with "zone=" is parsed as the zone, and the rest go to param, which
// fails on one it does not know (nil refuses them all as an "invalid
// parameter"). The zone named gets the key, which it must not have yet.
func (zs *Zones[S, C]) Declare(c *conf.Cmd, param func(arg string) error) (*Zone[S, C], error) {
	key, err := httpd.ConfigOf(c).Compile(c, c.Arg(0))
	if err != nil {
		return nil, err
	}
	var name string
	var size int64
	for _, a := range c.Args[1:] {
		switch {
		case strings.HasPrefix(a, "zone="):
			if name, size, err = ParseZone(c, a); err != nil {
				return nil, err
			}
		case param != nil:
			if err := param(a); err != nil {
				return nil, err
			}
		default:
			return nil, c.Errorf("invalid parameter \"%s\"", a)
		}
	}
	if name == "" {
		return nil, c.Errorf("\"%s\" must have \"zone\" parameter", c.Name)
	}
	z, err := zs.Named(c, name, size)
	if err != nil {
		return nil, err
	}
	if z.Key != nil {
		return nil, c.Errorf("%s \"%s\" is already bound to key \"%s\"", c.Name, name, z.Key.Source())
	}
	z.Key = key
	return z, nil
}

// Published is a zone of the last configuration loaded, as its Registry
// keeps it.
type Published[S any] struct {
	size int64
	key  string // the key's text, for the check on reload
	st   S
}

// Init gives each zone its state once the http block is read: the one of
// the configuration before when the zone's name and size are the same
// (then the key must be too; what names the zone in that error is
// directive), else newState's (ngx_init_cycle's shared memory pass with the
// module's init_zone). A zone only a limit directive named has no size: an
// error, as nginx's. The zones are then published in reg for the next
// configuration.
func (zs *Zones[S, C]) Init(cf *httpd.Config, reg *Registry[*Published[S]], directive string, newState func(size int64, name string) S) error {
	var files *errlog.Files
	var log *errlog.Log
	if cf.Cycle != nil {
		files, log = cf.Cycle.Files, cf.Cycle.Log
	}
	prev := reg.Previous(files)
	next := make(map[string]*Published[S], len(zs.order))
	for _, z := range zs.order {
		if z.Size == 0 {
			return &conf.Error{NoPos: true, Msg: fmt.Sprintf("zero size shared memory zone \"%s\"", z.Name)}
		}
		z.Log = log
		if p := prev[z.Name]; p != nil && p.size == z.Size {
			if p.key != z.Key.Source() {
				return &conf.Error{NoPos: true, Msg: fmt.Sprintf("%s \"%s\" uses the \"%s\" key while previously it used the \"%s\" key",
					directive, z.Name, z.Key.Source(), p.key)}
			}
			z.St = p.st
		} else {
			z.St = newState(z.Size, z.Name)
		}
		next[z.Name] = &Published[S]{size: z.Size, key: z.Key.Source(), st: z.St}
	}
	reg.Publish(files, next)
	return nil
}

// SetStatus is a setter for limit_conn_status and limit_req_status: a
// number from 400 to 599 (ngx_conf_set_num_slot with bounds).
func SetStatus[L any](get func(*L) *conf.Num) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		f := get(c.Conf.(*L))
		if f.IsSet() {
			return conf.ErrDuplicate
		}
		n, ok := conf.Atoi(c.Arg(0))
		if !ok || n > math.MaxInt32 {
			return fmt.Errorf("invalid number")
		}
		if err := conf.CheckBounds(c, n, 400, 599); err != nil {
			return err
		}
		f.Set(int(n))
		return nil
	}
}
