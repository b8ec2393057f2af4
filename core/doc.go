// Package core is the process around the configuration: the command line
// (nginx's flags and messages), the main-context directives (daemon,
// worker_processes, pid, error_log, events, ...), loading a configuration
// into a Cycle, the listening sockets that survive reloads, and the signal
// loop (HUP reload, QUIT graceful stop, TERM/INT fast stop, USR1 reopen).
//
// sluice is one Go process: there is no master/worker split. Directives that
// only make sense for nginx's processes are accepted and documented in
// docs/compat.md.
package core
