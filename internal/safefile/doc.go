// Package safefile reads the files a user names (workload files, flare
// modules, result files) through a size cap, and refuses anything that is
// not a regular file before reading a byte of it.
//
// os.ReadFile trusts its path: /dev/zero or /dev/urandom read until the
// process dies of memory exhaustion, a FIFO blocks forever, and a 3 GiB file
// is read whole before its first bytes are checked. Every input sparkbench
// takes from the command line or from a workload file goes through ReadFile
// instead, with a limit chosen for that kind of file.
package safefile
