// snow_peer_bench.go: the Go side of snow's peer comparison (goroutines and channels).
//
//	snow_peer_bench WORKLOAD [N]
//
// WORKLOAD is one of spawn, pingpong, fanin, ring (the workloads that have a direct
// goroutine-and-channel counterpart). Prints exactly one line on stdout,
// `RESULT <workload> <metric>=<value> ...`, the same metrics as snow_bench and caf_bench;
// diagnostics go to stderr. A wrong answer (a reply out of order, a wrong sum) exits 1;
// an unknown workload or a bad N exits 2.
//
// Standard library only, no module requirements. compare.py builds it with
//
//	GO111MODULE=off CGO_ENABLED=0 GOCACHE=<build-dir>/go-cache go build -o <build-dir>/go/snow_peer_bench snow_peer_bench.go
//
// GOMAXPROCS is left at Go's default, the number of cores (2 on the comparison machine),
// which is the footing of the other peers: CAF with 2 scheduler threads, Erlang with +S 2,
// snow with one worker per core. The garbage collector keeps its default (GOGC=100).
// Timing uses time.Since, which reads Go's monotonic clock.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// fail reports a wrong answer: there is no meaningful figure to print.
func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "snow_peer_bench: FAILED: "+format+"\n", args...)
	os.Exit(1)
}

// rssBytes is the resident set size of this process (VmRSS of /proc/self/status), the
// same measurement snow_bench, caf_bench and the Erlang peer make.
func rssBytes() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		fail("reading /proc/self/status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "VmRSS:") {
			fields := strings.Fields(strings.TrimPrefix(line, "VmRSS:"))
			kb, err := strconv.ParseInt(fields[0], 10, 64)
			if err != nil {
				fail("parsing %q: %v", line, err)
			}
			return kb * 1024
		}
	}
	fail("no VmRSS line in /proc/self/status")
	return 0
}

// -- spawn ------------------------------------------------------------------------------

// spawn: N goroutines each block receiving one message on its own channel, then end.
//
// A goroutine's mailbox is a channel with room for one message, so main's send does not
// wait for the goroutine to be scheduled (an actor send is asynchronous). wall_s covers
// starting all N, waiting until every one has reached its receive, sending each its
// message and waiting (sync.WaitGroup) until all have ended. bytes_per_proc is the growth
// of VmRSS between "nothing started" and "all N started and waiting", over N: the
// goroutine (its g and its initial 2 KiB stack) plus its channel, which is the handle the
// benchmark keeps per goroutine (as CAF keeps an actor handle and Erlang a pid).
func benchSpawn(n int64) {
	mailboxes := make([]chan struct{}, n) // allocated before the baseline, as the others reserve theirs
	var ready atomic.Int64
	var done sync.WaitGroup
	runtime.GC()
	rss0 := rssBytes()

	t0 := time.Now()
	done.Add(int(n))
	for i := range mailboxes {
		mailbox := make(chan struct{}, 1)
		mailboxes[i] = mailbox
		go func() {
			defer done.Done()
			ready.Add(1) // counted just before blocking in the receive
			<-mailbox
		}()
	}
	tSpawned := time.Since(t0)
	// Poll with a sleep, not a spin: a spinning main goroutine would hold one of the two Ps.
	for ready.Load() < n {
		time.Sleep(time.Millisecond)
	}
	tReady := time.Since(t0)
	rss1 := rssBytes()
	for _, mailbox := range mailboxes {
		mailbox <- struct{}{}
	}
	tSent := time.Since(t0)
	done.Wait()
	wall := time.Since(t0)

	fmt.Fprintf(os.Stderr, "spawn: spawned %.3f s, all waiting %.3f s, sent %.3f s, all done %.3f s; RSS %d -> %d bytes\n",
		tSpawned.Seconds(), tReady.Seconds(), tSent.Seconds(), wall.Seconds(), rss0, rss1)
	fmt.Printf("RESULT spawn wall_s=%.3f bytes_per_proc=%.0f\n", wall.Seconds(), float64(rss1-rss0)/float64(n))
}

// -- pingpong ---------------------------------------------------------------------------

// pingpong: two goroutines make N sequential round trips of an integer, one channel per
// direction.
//
// The channels are unbuffered: a round trip is a strict alternation with at most one
// message in flight each way, so a buffer would never hold anything, and an unbuffered
// channel is Go's idiom for a request and its reply (a send to a goroutine already waiting
// in its receive hands the value over directly either way). Timed from starting ping to
// main hearing that ping has its N-th reply.
func benchPingpong(n int64) {
	pings := make(chan int64)
	pongs := make(chan int64)
	go func() { // pong: answers each ping with the same number, until pings is closed
		for x := range pings {
			pongs <- x
		}
	}()
	pingDone := make(chan struct{})
	t0 := time.Now()
	go func() { // ping
		for i := int64(0); i < n; i++ {
			pings <- i
			if got := <-pongs; got != i {
				fail("pingpong: reply %d to ping %d", got, i)
			}
		}
		close(pingDone)
	}()
	<-pingDone
	secs := time.Since(t0).Seconds()
	close(pings)
	fmt.Fprintf(os.Stderr, "pingpong: %d round trips in %.3f s\n", n, secs)
	fmt.Printf("RESULT pingpong rt_per_s=%.0f\n", float64(n)/secs)
}

// -- fanin ------------------------------------------------------------------------------

const faninSenders = 16

// faninBuffer is the capacity of the one channel the senders share. A channel is bounded
// (an actor mailbox is not): when it is full a sender blocks until the receiver catches up.
// 1,024 int64s (8 KiB) lets every sender run ahead by a batch, so the receiver drains many
// values per wake-up; the capacity is fixed here, not tuned per machine.
const faninBuffer = 1024

// fanin: 16 sender goroutines each send the N int64s 0..N-1 into ONE buffered channel; one
// receiver goroutine sums all 16·N and reports the sum. Timed from starting the receiver to
// main getting the sum, which is checked (16·N·(N-1)/2).
func benchFanin(n int64) {
	total := n * faninSenders
	values := make(chan int64, faninBuffer)
	sums := make(chan int64)
	t0 := time.Now()
	go func() { // the receiver: takes exactly 16·N values
		var sum int64
		for k := int64(0); k < total; k++ {
			sum += <-values
		}
		sums <- sum
	}()
	for s := 0; s < faninSenders; s++ {
		go func() {
			for i := int64(0); i < n; i++ {
				values <- i
			}
		}()
	}
	sum := <-sums
	secs := time.Since(t0).Seconds()
	if want := faninSenders * (n * (n - 1) / 2); sum != want {
		fail("fanin: sum %d, want %d", sum, want)
	}
	fmt.Fprintf(os.Stderr, "fanin: %d messages in %.3f s (channel capacity %d)\n", total, secs, faninBuffer)
	fmt.Printf("RESULT fanin msgs_per_s=%.0f\n", float64(total)/secs)
}

// -- ring -------------------------------------------------------------------------------

const ringSize = 1000

// ring: 1,000 goroutines in a ring pass a token N hops; each forwards it decremented and
// the one that sees 0 tells main.
//
// Member i reads its own inbox and writes to member i+1's, so a member knows its successor
// from the start (the actor versions first send each member its successor's pid). Inboxes
// are unbuffered for the reason pingpong's are: one token, so at most one message in
// flight. The ring is built before the clock starts; closing the inboxes ends the members.
func benchRing(n int64) {
	inboxes := make([]chan int64, ringSize)
	for i := range inboxes {
		inboxes[i] = make(chan int64)
	}
	reachedZero := make(chan struct{})
	var stopped sync.WaitGroup
	stopped.Add(ringSize)
	for i := range inboxes {
		in, next := inboxes[i], inboxes[(i+1)%ringSize]
		go func() {
			defer stopped.Done()
			for token := range in {
				if token == 0 {
					reachedZero <- struct{}{}
				} else {
					next <- token - 1
				}
			}
		}()
	}
	t0 := time.Now()
	inboxes[0] <- n
	<-reachedZero
	secs := time.Since(t0).Seconds()
	for _, in := range inboxes {
		close(in)
	}
	stopped.Wait()
	fmt.Fprintf(os.Stderr, "ring: %d hops in %.3f s\n", n, secs)
	fmt.Printf("RESULT ring hops_per_s=%.0f\n", float64(n)/secs)
}

// -- main -------------------------------------------------------------------------------

type workload struct {
	name     string
	defaultN int64
	run      func(int64)
}

// The same default N as snow_bench, caf_bench and the Erlang peer.
var workloads = []workload{
	{"spawn", 1_000_000, benchSpawn},
	{"pingpong", 1_000_000, benchPingpong},
	{"fanin", 500_000, benchFanin},
	{"ring", 10_000_000, benchRing},
}

func usage(msg string) {
	if msg != "" {
		fmt.Fprintf(os.Stderr, "snow_peer_bench: %s\n", msg)
	}
	fmt.Fprintf(os.Stderr, "usage: snow_peer_bench WORKLOAD [N]\n  workloads (default N):\n")
	for _, w := range workloads {
		fmt.Fprintf(os.Stderr, "    %-10s %d\n", w.name, w.defaultN)
	}
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 {
		usage("")
	}
	var chosen *workload
	for i := range workloads {
		if workloads[i].name == os.Args[1] {
			chosen = &workloads[i]
		}
	}
	if chosen == nil {
		usage(fmt.Sprintf("unknown workload %q", os.Args[1]))
	}
	n := chosen.defaultN
	if len(os.Args) == 3 {
		var err error
		n, err = strconv.ParseInt(os.Args[2], 10, 64)
		// The fanin sum (16·N·(N-1)/2) must fit in 63 bits, as in snow_bench.
		if err != nil || n <= 0 || n > 1_000_000_000 {
			usage(fmt.Sprintf("bad N %q", os.Args[2]))
		}
	}
	fmt.Fprintf(os.Stderr, "snow_peer_bench: %s, GOMAXPROCS=%d, %s N=%d\n",
		runtime.Version(), runtime.GOMAXPROCS(0), chosen.name, n)
	chosen.run(n)
}
