package mp4

import (
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/bytesconv"
	"github.com/sluicehq/sluice/modules/static"
)

// self is the module's identity for conf lookups.
var self httpd.Handle

const locContexts = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc

// Module is the mp4 module.
var Module = &httpd.Module{
	Name:   "mp4",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "mp4", Context: conf.HTTPLoc, Args: conf.NoArgs, Syntax: "mp4;",
			Doc: "Serves MP4 files cut at the start and end arguments (seconds).",
			Set: func(c *conf.Cmd) error {
				httpd.CoreLocOf(c).Handler = handler
				return nil
			}},
		{Name: "mp4_buffer_size", Context: locContexts, Args: conf.Take1,
			Syntax: "mp4_buffer_size size;", Default: "mp4_buffer_size 512K;",
			Doc: "Initial size of the buffer the file's atoms are read through.",
			Set: conf.SetSize(func(c *LocConf) *conf.Size { return &c.BufferSize })},
		{Name: "mp4_max_buffer_size", Context: locContexts, Args: conf.Take1,
			Syntax: "mp4_max_buffer_size size;", Default: "mp4_max_buffer_size 10M;",
			Doc: "Largest moov atom read to cut a file; a larger one is an error (500).",
			Set: conf.SetSize(func(c *LocConf) *conf.Size { return &c.MaxBufferSize })},
		{Name: "mp4_start_key_frame", Context: locContexts, Args: conf.FlagArg,
			Syntax: "mp4_start_key_frame on | off;", Default: "mp4_start_key_frame off;",
			Doc: "Starts a cut video track on the key frame before the start time, hiding the frames before it with an edit list.",
			Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.StartKeyFrame })},
		{Name: "mp4_limit_rate", Context: locContexts, Args: conf.Take1,
			Syntax: "mp4_limit_rate on | off | factor;", Default: "mp4_limit_rate off;",
			Doc: "Limits the rate of a cut file's answer to its average bitrate times factor (on: 1.1).",
			Set: setLimitRate},
		{Name: "mp4_limit_rate_after", Context: locContexts, Args: conf.Take1,
			Syntax: "mp4_limit_rate_after time;", Default: "mp4_limit_rate_after 60s;",
			Doc: "Playback time of media data sent at full speed before mp4_limit_rate applies.",
			Set: conf.SetSec(func(c *LocConf) *conf.Sec { return &c.LimitRateAfter })},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc: func(_ *httpd.Config, parent, child any) error {
		p, c := parent.(*LocConf), child.(*LocConf)
		c.BufferSize.Inherit(p.BufferSize, 512*1024)
		c.MaxBufferSize.Inherit(p.MaxBufferSize, 10*1024*1024)
		c.StartKeyFrame.Inherit(p.StartKeyFrame, false)
		c.LimitRate.Inherit(p.LimitRate, 0)
		c.LimitRateAfter.Inherit(p.LimitRateAfter, 60)
		return nil
	},
}

// LocConf is the module's location configuration.
type LocConf struct {
	BufferSize, MaxBufferSize conf.Size
	StartKeyFrame             conf.Flag
	// LimitRate is the factor of mp4_limit_rate, 0 when off.
	LimitRate conf.Val[float64]
	// LimitRateAfter is mp4_limit_rate_after in seconds.
	LimitRateAfter conf.Sec
}

// setLimitRate parses mp4_limit_rate: on (1.1), off, or a factor.
func setLimitRate(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.LimitRate.IsSet() {
		return conf.ErrDuplicate
	}
	v := c.Arg(0)
	switch {
	case ascii.EqualFold(v, "on"):
		lc.LimitRate.Set(1.1)
	case ascii.EqualFold(v, "off"):
		lc.LimitRate.Set(0)
	default:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || strings.ContainsAny(v, "eEnNxXpP_+-") {
			return conf.ErrInvalidValue
		}
		lc.LimitRate.Set(f)
	}
	return nil
}

// handler serves the file, cut when the arguments ask for it
// (ngx_http_mp4_handler).
func handler(r *httpd.Request) httpd.Status {
	f, path, fi, rc := static.OpenMedia(r)
	if rc != httpd.OK {
		return rc
	}
	defer f.Close()
	start, length := times(r.Args)
	var c *cut
	if start >= 0 {
		r.SingleRange = true
		lc := httpd.LocConf[LocConf](r, &self)
		cf := cutConf{
			bufferSize:    lc.BufferSize.Get(),
			maxBufferSize: lc.MaxBufferSize.Get(),
			startKeyFrame: lc.StartKeyFrame.Get(),
		}
		log := func(lv errlog.Level, err error, format string, args ...any) {
			r.Log().Logf(lv, r, err, format, args...)
		}
		var res result
		c, res = cutMovie(f, path, fi.Size(), uint64(start), length, cf, log)
		switch res {
		case declined:
			c = nil
		case failed:
			return 500
		}
		if c != nil && lc.LimitRate.Get() > 0 {
			c.limitRate(r, lc.LimitRate.Get(), lc.LimitRateAfter.Get(), fi.Size())
		}
	}
	r.SetAction("sending mp4 to client")
	if c == nil {
		return static.SendFile(r, f, fi, "", 0)
	}
	if rc, done := static.SendHeader(r, fi, c.ContentLength); done {
		return rc
	}
	var ch httpd.Chain
	ch.Pieces = make([]httpd.Piece, 0, len(c.Head)+1)
	for _, p := range c.Head {
		ch.Append(p)
	}
	ch.AppendFile(f, c.DataStart, c.DataEnd-c.DataStart)
	ch.Last = true
	return r.Output(&ch)
}

// times reads ?start= and ?end= (seconds) as the start and the length in
// milliseconds; start is -1 when the file is not to be cut. An end alone
// cuts from 0; an end not after the start is ignored.
func times(args string) (start int64, length uint64) {
	start = -1
	if args == "" {
		return start, 0
	}
	a := bytesconv.Bytes(args)
	if v, ok := http1.Arg(a, []byte("start")); ok {
		start = parseTime(v)
	}
	if v, ok := http1.Arg(a, []byte("end")); ok {
		if end := parseTime(v); end > 0 {
			start = max(start, 0)
			if end > start {
				length = uint64(end - start)
			}
		}
	}
	return start, length
}

// limitRate applies mp4_limit_rate to the answer: the file's average
// bitrate (its size over the movie's duration) times factor, once the
// media data of the first after seconds went out at full speed.
func (c *cut) limitRate(r *httpd.Request, factor float64, after, size int64) {
	if c.timescale == 0 || c.duration == 0 {
		return
	}
	rate := float64(size) * float64(c.timescale) / float64(c.duration)
	r.SetLimitRate(int64(rate * factor))
	r.SetLimitRateAfter(int64(rate * float64(after)))
}
