package conf

import "time"

// Val is a configuration value that knows whether a directive set it:
// nginx's NGX_CONF_UNSET, typed.
type Val[T any] struct {
	v   T
	set bool
}

// Get returns the value (the zero value when unset).
func (v Val[T]) Get() T { return v.v }

// IsSet reports whether a directive (or a merge) gave the value.
func (v Val[T]) IsSet() bool { return v.set }

// Set stores x and marks the value set.
func (v *Val[T]) Set(x T) { v.v, v.set = x, true }

// Inherit is the merge rule, written once: keep an own value, else take the
// enclosing block's, else the default (nginx's ngx_conf_merge_*_value).
func (v *Val[T]) Inherit(parent Val[T], def T) {
	switch {
	case v.set:
	case parent.set:
		*v = parent
	default:
		v.v, v.set = def, true
	}
}

// InheritOnly keeps an own value or takes the enclosing block's, leaving the
// value unset when neither has one.
func (v *Val[T]) InheritOnly(parent Val[T]) {
	if !v.set && parent.set {
		*v = parent
	}
}

// Flag is an on/off value.
type Flag = Val[bool]

// Num is an integer value (ngx_conf_set_num_slot).
type Num = Val[int]

// Size is a byte count (ngx_conf_set_size_slot, ngx_conf_set_off_slot).
type Size = Val[int64]

// Msec is a duration with millisecond resolution (ngx_conf_set_msec_slot).
type Msec = Val[time.Duration]

// Sec is a duration in whole seconds (ngx_conf_set_sec_slot).
type Sec = Val[int64]

// Str is a string value.
type Str = Val[string]

// Bufs is a number and size of buffers, as "8 4k".
type Bufs struct {
	Num  int
	Size int64
}

// List is a list of values set by repeated directives; a block with none of
// its own inherits the enclosing block's whole list.
type List[T any] = Val[[]T]

// Append adds x to a list value, marking it set.
func Append[T any](l *List[T], x T) { l.Set(append(l.Get(), x)) }
