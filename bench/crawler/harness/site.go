package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/weftio/weft/bench/crawler/internal/crawl"
)

// site is a running site server: its process, the site's address and
// the counters' address.
type site struct {
	cmd         *exec.Cmd
	addr, stats string
	client      *http.Client
	tr          *http.Transport
	drained     chan struct{} // closed once the process's stderr is read to its end
}

// startSite starts the site server of sc, from the binary bin, and
// waits until it listens (10 s at most).
func startSite(bin string, sc scenario, verbose bool) (*site, error) {
	cmd := exec.Command(bin, "-pages", strconv.Itoa(sc.Pages), "-seed", strconv.FormatInt(sc.Seed, 10), "-links", strconv.Itoa(sc.Links))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	tr := &http.Transport{}
	s := &site{cmd: cmd, tr: tr, client: &http.Client{Transport: tr, Timeout: 10 * time.Second}, drained: make(chan struct{})}
	addrs := make(chan [2]string, 1)
	go func() {
		defer close(s.drained)
		var a [2]string
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if verbose || a[1] != "" {
				fmt.Fprintf(os.Stderr, "    %s\n", line) // after the start, only its complaints
			}
			if v, ok := strings.CutPrefix(line, "site: listening on "); ok {
				a[0] = v
			} else if v, ok := strings.CutPrefix(line, "site: stats on "); ok {
				a[1] = v
				addrs <- a
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case a := <-addrs:
		s.addr, s.stats = a[0], a[1]
		return s, nil
	case <-s.drained:
		s.stop()
		return nil, errors.New("the site server exited before it listened")
	case <-time.After(10 * time.Second):
		s.stop()
		return nil, errors.New("the site server did not listen within 10 s")
	}
}

// counters reads the server's counters since the last reset, and
// resets them.
func (s *site) counters() (crawl.Stats, error) {
	var st crawl.Stats
	resp, err := s.client.Get("http://" + s.stats + "/stats?reset=1")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("GET /stats: %s", resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// stop ends the server (SIGTERM, then SIGKILL after 5 s) and waits for
// it and for the goroutine reading its stderr.
func (s *site) stop() {
	s.tr.CloseIdleConnections()
	s.cmd.Process.Signal(syscall.SIGTERM)
	t := time.AfterFunc(5*time.Second, func() { s.cmd.Process.Kill() })
	<-s.drained
	s.cmd.Wait()
	t.Stop()
}
