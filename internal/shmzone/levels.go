package shmzone

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
)

// LogLevels are the levels limit_req_log_level and limit_conn_log_level
// take for the lines of rejected requests (nginx's
// ngx_http_limit_req_log_levels and ngx_http_limit_conn_log_levels).
var LogLevels = conf.Enum[errlog.Level]{
	{Name: "info", Value: errlog.Info},
	{Name: "notice", Value: errlog.Notice},
	{Name: "warn", Value: errlog.Warn},
	{Name: "error", Value: errlog.Error},
}
