//go:build linux

package main

import (
	"math"
	"os"
	"testing"
)

func TestParseStatCPU(t *testing.T) {
	line := []byte("4242 (we) ird (name)) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 130 0 0 20 0 7 0 12345 1000000 500 18446744073709551615")
	u, s, err := parseStatCPU(line)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(u-250/clockTicks) > 1e-9 || math.Abs(s-130/clockTicks) > 1e-9 {
		t.Fatalf("cpu %v %v, want 250 and 130 ticks", u, s)
	}
	if _, _, err := procCPU(os.Getpid()); err != nil {
		t.Fatal(err)
	}
}

func TestParseIO(t *testing.T) {
	r, w, err := parseIO([]byte("rchar: 6976\nwchar: 0\nsyscr: 10\nsyscw: 3\nread_bytes: 0\n"))
	if err != nil || r != 10 || w != 3 {
		t.Fatalf("io %d %d %v", r, w, err)
	}
}

func TestParseSystemBusy(t *testing.T) {
	got, err := parseSystemBusy("cpu  100 5 50 1000 20 3 2 1 7 0")
	if err != nil {
		t.Fatal(err)
	}
	if want := 161 / clockTicks; math.Abs(got-want) > 1e-9 {
		t.Fatalf("busy %v, want %v", got, want)
	}
}

func TestParseVmRSS(t *testing.T) {
	got, err := parseVmRSS([]byte("Name:\tx\nVmPeak:\t  9 kB\nVmRSS:\t   11756 kB\nThreads: 3\n"))
	if err != nil || got != 11756<<10 {
		t.Fatalf("rss %d, %v", got, err)
	}
	if rss, err := procRSS(os.Getpid()); err != nil || rss <= 0 {
		t.Fatalf("own rss %d, %v", rss, err)
	}
}
