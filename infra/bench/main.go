// Command bench measures the functions for `make bench` (infra/scripts/bench.sh).
// Every measurement is taken against its reference in the same run, and
// printed twice: as benchstat-comparable lines on stdout (one line per
// sample, so `go tool benchstat` gives median and spread, and two runs can be
// compared), and as a Markdown table appended to the file named by -md.
//
//	bench size     [-md F] name=dir/bootstrap ...   stripped and zipped size
//	bench coldinit [-md F] [-n 20] name=bin ...      process start to first /next, plus GODEBUG=inittrace=1
//	bench load     [-md F] -url U [-c 4] [-d 5s] [-rounds 3] [-post file] [-expect 200]
//	bench direct   [-md F] -bin B -fn NAME [-n 1000] [-rounds 3] [-path /health] [-url U] [-post file] [-expect 200]
//	bench verdict  [-md F] -raw bench.txt                 the targets beside this run's medians
//
// Only loopback addresses are ever contacted; every run is bounded in
// concurrency, duration and request count.
package main

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "size":
		err = sizeCmd(os.Args[2:])
	case "coldinit":
		err = coldInitCmd(os.Args[2:])
	case "load":
		err = loadCmd(os.Args[2:])
	case "direct":
		err = directCmd(os.Args[2:])
	case "verdict":
		err = verdictCmd(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: bench size|coldinit|load|direct|verdict [flags] (see the package comment)")
	os.Exit(2)
}

// summary is the median and spread of a set of samples.
type summary struct {
	n                            int
	min, p10, med, p90, p99, max float64
}

func summarize(xs []float64) summary {
	if len(xs) == 0 {
		return summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return summary{n: len(s), min: s[0], p10: quantile(s, 0.10), med: quantile(s, 0.5), p90: quantile(s, 0.90), p99: quantile(s, 0.99), max: s[len(s)-1]}
}

// quantile of sorted s by linear interpolation.
func quantile(s []float64, q float64) float64 {
	if len(s) == 1 {
		return s[0]
	}
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

func ms(ns float64) string { return fmt.Sprintf("%.2f ms", ns/1e6) }
func us(ns float64) string { return fmt.Sprintf("%.0f µs", ns/1e3) }

// mdFile opens the Markdown output for appending, or os.DevNull without one.
func mdFile(path string) (*os.File, error) {
	if path == "" {
		path = os.DevNull
	}
	return os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
}

// pairs splits name=value arguments, keeping their order.
func pairs(args []string) ([][2]string, error) {
	var out [][2]string
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("argument %q: want name=path", a)
		}
		out = append(out, [2]string{k, v})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no name=path arguments")
	}
	return out, nil
}
