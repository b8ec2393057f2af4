// Package oracle runs Debian's nginx (/usr/sbin/nginx) as a differential
// oracle for sluice's tests: Start brings nginx up in a private prefix with
// a configuration written by the test, on free loopback ports, and stops it
// at cleanup; Compare sends the same raw request to nginx and to sluice and
// reports, readably, where the answers differ.
//
// nginx's behaviour is sluice's specification, so a test that can ask nginx
// should: the oracle answers for the installed nginx (1.22.1 on Debian 12),
// which may differ in details from nginx master; a test relying on such a
// difference says so.
package oracle
