package tests

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// clockTick is Linux's USER_HZ, the unit of utime and stime in
// /proc/<pid>/stat: 100 on every architecture Go runs Linux on.
const clockTick = 10 * time.Millisecond

// cpuUse is the CPU time each part of the benchmark's machine has used so
// far: this process (the API, the worker and the benchmark's own clients),
// the Temporal dev server and Mailpit it started, and PostgreSQL's
// processes. A part that cannot be read (not Linux, or SQLite) stays zero.
type cpuUse struct {
	process, temporal, mailpit, postgres time.Duration
}

func readCPUUse() cpuUse {
	var u cpuUse
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		u.process = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	self := strconv.Itoa(os.Getpid())
	for _, path := range stats {
		comm, ppid, used, ok := procStat(path)
		switch {
		case !ok:
		case comm == "postgres":
			u.postgres += used
		case ppid == self && comm == "temporal":
			u.temporal += used
		case ppid == self && comm == "mailpit":
			u.mailpit += used
		}
	}
	return u
}

// procStat reads a process's name, parent and CPU time (user and system)
// from its /proc stat line.
func procStat(path string) (comm, ppid string, used time.Duration, ok bool) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", "", 0, false // the process ended meanwhile
	}
	line := string(raw)
	open, end := strings.IndexByte(line, '('), strings.LastIndexByte(line, ')')
	if open < 0 || end < open {
		return "", "", 0, false
	}
	// After the name: state, ppid, ..., utime and stime as fields 12 and 13.
	fields := strings.Fields(line[end+1:])
	if len(fields) < 13 {
		return "", "", 0, false
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return "", "", 0, false
	}
	return line[open+1 : end], fields[1], time.Duration(utime+stime) * clockTick, true
}

// reportCPU reports the CPU time each part used per operation since start,
// in milliseconds: where the machine's cores went.
func reportCPU(b *testing.B, start cpuUse) {
	end := readCPUUse()
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / n }
	b.ReportMetric(ms(end.process-start.process), "process-cpu-ms/op")
	b.ReportMetric(ms(end.temporal-start.temporal), "temporal-cpu-ms/op")
	b.ReportMetric(ms(end.mailpit-start.mailpit), "mailpit-cpu-ms/op")
	b.ReportMetric(ms(end.postgres-start.postgres), "postgres-cpu-ms/op")
}
