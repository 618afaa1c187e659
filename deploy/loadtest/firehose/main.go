// Command firehose is the firing part of the load tool's `stampede` and `ramp` modes
// (spec/performance.md, "How to run"): it reads a plan of prepared HTTP requests as JSON (a
// file named by -plan, or stdin), sends each over a fresh TCP connection of its own
// (HTTP/1.1, `Connection: close`), and writes one JSON line per request and a last line with
// its summary (origin, CPU time) to stdout. The Python tool (deploy/loadtest/firehose.py)
// makes the plan and folds the lines into its report; nothing here knows about bookings
// beyond the `id` and `detail` fields of a JSON answer.
//
// Modes: "stampede" opens every connection first (bounded by the open-file limit), then
// releases all requests at one instant; "ramp" starts each request at its planned offset
// from the start (an open model) on one of at most `vus` virtual users, and drops (counts) an
// arrival when every virtual user is busy, as k6's ramping-arrival-rate executor does.
//
// Standard library only.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Request is one planned HTTP request; At is its start in seconds after the origin (ramp).
type Request struct {
	At      float64           `json:"at"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// Plan is the whole run as the Python side wrote it.
type Plan struct {
	Mode         string    `json:"mode"`    // "stampede" or "ramp"
	Address      string    `json:"address"` // host:port, loopback
	Host         string    `json:"host"`    // the Host header
	TimeoutS     float64   `json:"timeout_s"`
	Attempts     int       `json:"attempts"` // tries per request: 1 + retries
	RetryBaseS   float64   `json:"retry_base_s"`
	RetryMaxS    float64   `json:"retry_max_s"`
	RetryBudgetS float64   `json:"retry_budget_s"`
	ConnectFirst bool      `json:"connect_first"`
	DialParallel int       `json:"dial_parallel"` // connections being opened at once (stampede)
	VUs          int       `json:"vus"`
	Requests     []Request `json:"requests"`
}

// Result is what became of one request; times in microseconds, Start after the origin.
type Result struct {
	I         int    `json:"i"`
	Dropped   bool   `json:"dropped,omitempty"`
	StartUs   int64  `json:"start_us"`
	ConnectUs int64  `json:"connect_us"`
	LatencyUs int64  `json:"latency_us"`
	Status    int    `json:"status"`
	ID        string `json:"id,omitempty"`
	Detail    string `json:"detail,omitempty"`
	Error     string `json:"error,omitempty"`
	Attempts  int    `json:"attempts"`
	Early     bool   `json:"early_connect,omitempty"` // connected before the release
}

// Summary is the last output line.
type Summary struct {
	OriginUnixNs   int64   `json:"origin_unix_ns"`
	Requests       int     `json:"requests"`
	Dropped        int     `json:"dropped"`
	ConnectedFirst int     `json:"connected_first"`
	ConnectFailed  int     `json:"connect_failed"`
	ConnectSeconds float64 `json:"connect_seconds"`
	FireSeconds    float64 `json:"fire_seconds"`
	CPUSeconds     float64 `json:"cpu_seconds"`      // user + system, whole run after the plan was read
	FireCPUSeconds float64 `json:"fire_cpu_seconds"` // from the release (or start) to the end
	FDLimit        uint64  `json:"fd_limit"`
	MaxBusyVUs     int     `json:"max_busy_vus,omitempty"`
}

type wire struct {
	raw [][]byte
	p   *Plan
}

func main() {
	planPath := flag.String("plan", "", "plan file (JSON); stdin when empty")
	flag.Parse()
	plan, err := readPlan(*planPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "firehose:", err)
		os.Exit(2)
	}
	limit := raiseFileLimit()
	w := &wire{raw: make([][]byte, len(plan.Requests)), p: plan}
	for i := range plan.Requests {
		w.raw[i] = encode(plan, &plan.Requests[i])
	}
	cpu0 := cpuSeconds()
	var results []Result
	var sum Summary
	switch plan.Mode {
	case "stampede":
		results, sum = w.stampede(limit)
	case "ramp":
		results, sum = w.ramp()
	default:
		fmt.Fprintf(os.Stderr, "firehose: unknown mode %q\n", plan.Mode)
		os.Exit(2)
	}
	cpuEnd := cpuSeconds()
	sum.CPUSeconds = cpuEnd - cpu0
	sum.FireCPUSeconds += cpuEnd // stampede and ramp stored minus the CPU at their start
	sum.FDLimit = limit
	sum.Requests = len(plan.Requests)
	if err := writeResults(os.Stdout, results, sum); err != nil {
		fmt.Fprintln(os.Stderr, "firehose:", err)
		os.Exit(1)
	}
}

func readPlan(path string) (*Plan, error) {
	var r io.Reader = os.Stdin
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	plan := &Plan{Attempts: 1, TimeoutS: 30, RetryBaseS: 0.25, RetryMaxS: 4, RetryBudgetS: 60,
		DialParallel: 512, VUs: 2000}
	if err := json.NewDecoder(bufio.NewReaderSize(r, 1<<20)).Decode(plan); err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	if plan.Address == "" {
		return nil, errors.New("plan: no address")
	}
	if plan.Host == "" {
		plan.Host = plan.Address
	}
	if plan.Attempts < 1 {
		plan.Attempts = 1
	}
	if plan.VUs < 1 {
		plan.VUs = 1
	}
	if plan.DialParallel < 1 {
		plan.DialParallel = 1
	}
	return plan, nil
}

// raiseFileLimit sets the soft RLIMIT_NOFILE to the hard one and returns it.
func raiseFileLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 1024
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	return lim.Cur
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// encode renders one request as the bytes sent on the wire.
func encode(p *Plan, r *Request) []byte {
	var b bytes.Buffer
	method := r.Method
	if method == "" {
		method = "POST"
	}
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, r.Path, p.Host)
	for k, v := range r.Headers {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	if r.Body != "" || method == "POST" || method == "PUT" || method == "PATCH" {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(r.Body))
	}
	b.WriteString("\r\n")
	b.WriteString(r.Body)
	return b.Bytes()
}

func (w *wire) timeout() time.Duration {
	return time.Duration(w.p.TimeoutS * float64(time.Second))
}

func (w *wire) dial() (net.Conn, error) {
	return net.DialTimeout("tcp", w.p.Address, w.timeout())
}

// exchange sends one request on conn (closing it after) and reads the answer's status, body
// and Retry-After header.
func (w *wire) exchange(conn net.Conn, raw []byte) (status int, body []byte, retryAfter float64, err error) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(w.timeout()))
	if _, err = conn.Write(raw); err != nil {
		return 0, nil, -1, fmt.Errorf("write: %w", err)
	}
	return readResponse(conn)
}

// readResponse reads one HTTP/1.1 response: the head, then Content-Length bytes of body (or
// everything until EOF when the head gives no length).
func readResponse(r io.Reader) (status int, body []byte, retryAfter float64, err error) {
	buf := make([]byte, 0, 2048)
	chunk := make([]byte, 2048)
	headEnd, length := -1, -1
	retryAfter = -1
	for {
		if headEnd >= 0 && length >= 0 && len(buf)-headEnd >= length {
			return status, buf[headEnd : headEnd+length], retryAfter, nil
		}
		n, rerr := r.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if headEnd < 0 {
			if at := bytes.Index(buf, []byte("\r\n\r\n")); at >= 0 {
				headEnd = at + 4
				status, length, retryAfter, err = parseHead(buf[:at])
				if err != nil {
					return 0, nil, -1, err
				}
				continue
			}
		}
		if rerr != nil {
			if rerr == io.EOF && headEnd >= 0 && length < 0 {
				return status, buf[headEnd:], retryAfter, nil
			}
			if rerr == io.EOF {
				return 0, nil, -1, errors.New("read: connection closed before the answer")
			}
			return 0, nil, -1, fmt.Errorf("read: %w", rerr)
		}
	}
}

func parseHead(head []byte) (status, length int, retryAfter float64, err error) {
	retryAfter = -1
	length = -1
	if len(head) < 12 || !bytes.HasPrefix(head, []byte("HTTP/1.")) {
		return 0, 0, -1, errors.New("parse: not an HTTP/1.x answer")
	}
	status, err = strconv.Atoi(string(head[9:12]))
	if err != nil {
		return 0, 0, -1, errors.New("parse: bad status")
	}
	for _, line := range bytes.Split(head, []byte("\r\n"))[1:] {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		value = bytes.TrimSpace(value)
		switch string(bytes.ToLower(name)) {
		case "content-length":
			length, err = strconv.Atoi(string(value))
			if err != nil {
				return 0, 0, -1, errors.New("parse: bad content-length")
			}
		case "retry-after":
			if v, perr := strconv.ParseFloat(string(value), 64); perr == nil {
				retryAfter = v
			}
		}
	}
	return status, length, retryAfter, nil
}

// answer fills the status, id (of a 2xx) and detail (of anything else) of a result.
func answer(res *Result, status int, body []byte) {
	res.Status = status
	var doc struct {
		ID     any `json:"id"`
		Detail any `json:"detail"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return
	}
	if status >= 200 && status < 300 && doc.ID != nil {
		res.ID = fmt.Sprint(doc.ID)
	} else if s, ok := doc.Detail.(string); ok {
		res.Detail = s
	}
}

func retryable(status int) bool { return status == 0 || status == 503 }

// backoff is the wait before try number attempt+1: doubling from the base, jittered, capped;
// the server's Retry-After (capped) when it sent one.
func (w *wire) backoff(attempt int, retryAfter float64, rng *rand.Rand) time.Duration {
	s := math.Min(w.p.RetryBaseS*math.Pow(2, float64(attempt-1)), w.p.RetryMaxS)
	s *= 0.5 + rng.Float64()/2
	if retryAfter >= 0 {
		s = math.Min(retryAfter, w.p.RetryMaxS)
	}
	return time.Duration(s * float64(time.Second))
}

// run sends request i, due at `due`, on `conn` when one was opened early (else on a fresh
// connection), with the retries the plan allows, each on a fresh connection.
func (w *wire) run(i int, due time.Time, origin time.Time, conn net.Conn, rng *rand.Rand, res *Result) {
	res.I = i
	res.StartUs = due.Sub(origin).Microseconds()
	var retryAfter float64
	for attempt := 1; ; attempt++ {
		res.Attempts = attempt
		if conn == nil {
			t := time.Now()
			c, err := w.dial()
			if attempt == 1 {
				res.ConnectUs = time.Since(t).Microseconds()
			}
			if err != nil {
				res.Status, res.Error = 0, "connect: "+err.Error()
			}
			conn = c
		}
		if conn != nil {
			status, body, ra, err := w.exchange(conn, w.raw[i])
			conn, retryAfter = nil, ra
			if err != nil {
				res.Status, res.Error = 0, err.Error()
			} else {
				res.Error = ""
				answer(res, status, body)
			}
		}
		if !retryable(res.Status) || attempt >= w.p.Attempts {
			break
		}
		wait := w.backoff(attempt, retryAfter, rng)
		if time.Since(due)+wait > time.Duration(w.p.RetryBudgetS*float64(time.Second)) {
			break
		}
		time.Sleep(wait)
	}
	res.LatencyUs = time.Since(due).Microseconds()
}

// stampede: every connection first (as many as the file limit allows, `DialParallel` being
// opened at once), then every request at one instant.
func (w *wire) stampede(limit uint64) ([]Result, Summary) {
	n := len(w.p.Requests)
	results := make([]Result, n)
	conns := make([]net.Conn, n)
	early := 0
	if w.p.ConnectFirst {
		early = n
		if spare := int(limit) - 64; spare < early {
			early = max(spare, 0)
		}
	}
	var sum Summary
	t0 := time.Now()
	var dialing sync.WaitGroup
	gate := make(chan struct{}, w.p.DialParallel)
	for i := 0; i < early; i++ {
		dialing.Add(1)
		gate <- struct{}{}
		go func(i int) {
			defer dialing.Done()
			defer func() { <-gate }()
			t := time.Now()
			c, err := w.dial()
			results[i].ConnectUs = time.Since(t).Microseconds()
			results[i].Early = true
			if err == nil {
				conns[i] = c
			}
		}(i)
	}
	dialing.Wait()
	for i := 0; i < early; i++ {
		if conns[i] != nil {
			sum.ConnectedFirst++
		} else {
			sum.ConnectFailed++
		}
	}
	sum.ConnectSeconds = time.Since(t0).Seconds()
	cpuAtRelease := cpuSeconds()
	release := make(chan struct{})
	var origin time.Time // set before the release; read by every buyer after it
	var done sync.WaitGroup
	for i := 0; i < n; i++ {
		done.Add(1)
		go func(i int) {
			defer done.Done()
			<-release
			connectUs := results[i].ConnectUs
			rng := rand.New(rand.NewSource(int64(i) + 1))
			results[i].Early = conns[i] != nil
			w.run(i, origin, origin, conns[i], rng, &results[i])
			if results[i].Early {
				results[i].ConnectUs = connectUs
			}
		}(i)
	}
	origin = time.Now()
	sum.OriginUnixNs = origin.UnixNano()
	close(release)
	done.Wait()
	sum.FireSeconds = time.Since(origin).Seconds()
	sum.FireCPUSeconds = -cpuAtRelease
	return results, sum
}

// ramp: each request at its planned offset, on a free virtual user, else dropped.
func (w *wire) ramp() ([]Result, Summary) {
	n := len(w.p.Requests)
	results := make([]Result, n)
	var sum Summary
	vus := make(chan struct{}, w.p.VUs)
	var done sync.WaitGroup
	cpuAtStart := cpuSeconds()
	origin := time.Now()
	sum.OriginUnixNs = origin.UnixNano()
	lastNote := origin
	for i := 0; i < n; i++ {
		due := origin.Add(time.Duration(w.p.Requests[i].At * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		if time.Since(lastNote) >= 5*time.Second {
			lastNote = time.Now()
			fmt.Fprintf(os.Stderr, "[firehose] %6.1fs started %d dropped %d busy VUs %d\n",
				lastNote.Sub(origin).Seconds(), i-sum.Dropped, sum.Dropped, len(vus))
		}
		select {
		case vus <- struct{}{}:
			if busy := len(vus); busy > sum.MaxBusyVUs {
				sum.MaxBusyVUs = busy
			}
			done.Add(1)
			go func(i int, due time.Time) {
				defer done.Done()
				defer func() { <-vus }()
				rng := rand.New(rand.NewSource(int64(i) + 1))
				w.run(i, due, origin, nil, rng, &results[i])
			}(i, due)
		default:
			results[i] = Result{I: i, Dropped: true, StartUs: due.Sub(origin).Microseconds()}
			sum.Dropped++
		}
	}
	done.Wait()
	sum.FireSeconds = time.Since(origin).Seconds()
	sum.FireCPUSeconds = -cpuAtStart
	return results, sum
}

func writeResults(out io.Writer, results []Result, sum Summary) error {
	bw := bufio.NewWriterSize(out, 1<<20)
	enc := json.NewEncoder(bw)
	for i := range results {
		if err := enc.Encode(&results[i]); err != nil {
			return err
		}
	}
	if err := enc.Encode(map[string]Summary{"summary": sum}); err != nil {
		return err
	}
	return bw.Flush()
}
