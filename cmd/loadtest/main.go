// Command loadtest sends signed /contact requests to a running contactbot and
// prints throughput and latency percentiles. It talks only to the URL given
// (use a local one), runs a bounded number of requests and stops by itself.
//
//	go run ./cmd/loadtest -url http://127.0.0.1:3000 -secret "$SLACK_SIGNING_SECRET" -c 50 -n 20000 -seeded 1000000 -mode email
//
// Modes (with -seeded): email; name (full names drawn as a CRM has them: the
// name of a seeded contact picked at random, so a few very common names and
// a long tail, Zipf–Mandelbrot as the seed draws them); common-name (the
// seed's 4 most common full names, uniformly: 1,900–2,600 matches each,
// 45,000–51,000 per word); common-word; rare-name. -mode pk-floor skips the
// bot: the same clients run a bare primary-key lookup of a seeded contact
// straight against -db, the floor the bot's figures are compared to.
//
// Beside latency it prints the CPU time per request of the bot (-pid, the
// serve process; several for replicas), of every postgres process on the
// machine, and of itself, read from /proc/<pid>/stat over the run: unlike
// latency, a figure that holds while other work shares the machine.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/lib/pq" // the "postgres" driver, for -mode pk-floor

	"contactbot/crm"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:3000", "base URL of a running contactbot serve (local only); several, comma-separated, are used in turn (replicas)")
	secret := flag.String("secret", os.Getenv("SLACK_SIGNING_SECRET"), "Slack signing secret the server checks")
	concurrency := flag.Int("c", 50, "concurrent clients")
	total := flag.Int("n", 10000, "requests to send in all")
	maxTime := flag.Duration("max", 2*time.Minute, "stop after this long even if requests remain")
	seeded := flag.Int("seeded", 0, "query emails of contacts made by `contactbot seed` (numbers 1..N); 0: use -query")
	query := flag.String("query", "jane@example.com", "the /contact text when -seeded is 0")
	team := flag.String("team", "T0LOAD", "team id sent with each request")
	user := flag.String("user", "ULOAD", "user id sent with each request")
	mode := flag.String("mode", "email", "with -seeded: email, name, common-name, common-word, rare-name, or pk-floor (needs -db)")
	dbURL := flag.String("db", "", "pk-floor: the seeded PostgreSQL database (local only)")
	pidList := flag.String("pid", "", "process id of the contactbot serve under load (comma-separated for replicas): its CPU time per request is reported")
	pgDB := flag.String("pgdb", "", "count the CPU time of only the PostgreSQL backends of this database (default: every postgres process), when other work shares the server")
	flag.Parse()
	queries, ok := seededQueries(*seeded)[*mode]
	if *seeded > 0 && !ok && *mode != "pk-floor" {
		fmt.Fprintln(os.Stderr, "loadtest: -mode must be email, name, common-name, common-word, rare-name or pk-floor")
		os.Exit(2)
	}
	pids, err := parsePIDs(*pidList)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(2)
	}
	if *mode == "pk-floor" {
		if err := pkFloor(*dbURL, *seeded, *concurrency, *total, *maxTime, *pgDB); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
			os.Exit(1)
		}
		return
	}
	if *secret == "" {
		fmt.Fprintln(os.Stderr, "loadtest: -secret (or SLACK_SIGNING_SECRET) is required")
		os.Exit(2)
	}
	var endpoints []string
	for _, b := range strings.Split(*base, ",") {
		u, err := url.Parse(b)
		if err != nil || !isLocal(u) {
			fmt.Fprintln(os.Stderr, "loadtest: -url must be local addresses (127.0.0.1, localhost or ::1)")
			os.Exit(2)
		}
		endpoints = append(endpoints, strings.TrimSuffix(b, "/")+"/slack/commands")
	}

	ctx, cancel := context.WithTimeout(context.Background(), *maxTime)
	defer cancel()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *concurrency}}
	start := time.Now()
	cpu := newCPUMeter(pids, *pgDB)
	served := run(ctx, *concurrency, *total, func(ctx context.Context, i int) (int, error) {
		text := *query
		if *seeded > 0 {
			text = queries(i)
		}
		// A unique trigger id keeps every body, and so every signature, unique:
		// the server refuses replays.
		body := url.Values{"command": {"/contact"}, "text": {text}, "user_id": {*user}, "team_id": {*team},
			"channel_id": {"CLOAD"}, "trigger_id": {fmt.Sprintf("load-%d-%d", start.UnixNano(), i)}}.Encode()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, endpoints[i%len(endpoints)], strings.NewReader(body))
		stamp := strconv.FormatInt(time.Now().Unix(), 10)
		mac := hmac.New(sha256.New, []byte(*secret))
		fmt.Fprintf(mac, "v0:%s:%s", stamp, body)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Slack-Request-Timestamp", stamp)
		req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	})
	cpu.stop().report(os.Stdout, served)
}

// isLocal reports whether u points at this machine: the only place the tool
// sends load to.
func isLocal(u *url.URL) bool {
	h := u.Hostname()
	return h == "127.0.0.1" || h == "localhost" || h == "::1"
}

// run has c clients call do for requests 1 to n, stopping early when ctx is
// done, and reports on stdout: latencies of the calls that got an answer
// (do's status), and the calls that failed before ctx was done. It returns
// how many calls got an answer.
func run(ctx context.Context, c, n int, do func(ctx context.Context, i int) (status int, err error)) int {
	var next atomic.Int64
	var mu sync.Mutex
	latencies := make([]time.Duration, 0, n)
	statuses := map[int]int{}
	errs := 0
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				t0 := time.Now()
				status, err := do(ctx, int(i))
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					if ctx.Err() == nil {
						errs++
					}
				} else {
					statuses[status]++
					latencies = append(latencies, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	report(os.Stdout, latencies, statuses, errs, time.Since(start), c)
	return len(latencies)
}

func report(w io.Writer, lat []time.Duration, statuses map[int]int, errs int, elapsed time.Duration, c int) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))]
	}
	over3s := 0
	for _, d := range lat {
		if d > 3*time.Second {
			over3s++
		}
	}
	fmt.Fprintf(w, "requests: %d in %s with %d clients: %.0f req/s\n", len(lat), elapsed.Round(time.Millisecond), c, float64(len(lat))/elapsed.Seconds())
	fmt.Fprintf(w, "latency: p50 %s  p90 %s  p99 %s  max %s  over 3s: %d\n", pct(0.50), pct(0.90), pct(0.99), pct(1), over3s)
	var codes []string
	for code, n := range statuses {
		codes = append(codes, fmt.Sprintf("%d×%d", code, n))
	}
	sort.Strings(codes)
	fmt.Fprintf(w, "statuses: %s  transport errors: %d\n", strings.Join(codes, " "), errs)
}

// seededQueries are the /contact texts of each mode over n seeded contacts
// (crm.SeedName tells their names), as crm's BenchmarkSearch uses them.
func seededQueries(n int) map[string]func(i int) string {
	if n <= 0 {
		return nil
	}
	first, last := crm.SeedFirstNames, crm.SeedLastNames
	return map[string]func(int) string{
		"email": func(i int) string {
			k := 1 + (i*7919)%n
			return fmt.Sprintf("contact%d@example%d.com", k, k%97)
		},
		// The name of a seeded contact drawn at random: names come as often
		// as the CRM has them, a few very common, a long tail.
		"name": func(i int) string {
			f, l := crm.SeedName(1 + int(mix(uint64(i))%uint64(n)))
			return strings.ToLower(f + " " + l)
		},
		// The four most common full names, uniformly: about 2,600, 2,200
		// (twice) and 1,900 matches at a million contacts, 45,000–51,000 per word.
		"common-name": func(i int) string { return strings.ToLower(first[i%2] + " " + last[(i/2)%2]) },
		"common-word": func(i int) string {
			if i%2 == 0 {
				return strings.ToLower(first[(i/2)%10])
			}
			return strings.ToLower(last[(i/2)%10])
		},
		"rare-name": func(i int) string {
			return strings.ToLower(first[len(first)-1-i%5] + " " + last[len(last)-1-(i/5)%5])
		},
	}
}

// mix scrambles i (splitmix64's finalizer): request numbers in, draws that
// look random and are the same in every run out.
func mix(i uint64) uint64 {
	i += 0x9e3779b97f4a7c15
	i = (i ^ i>>30) * 0xbf58476d1ce4e5b9
	i = (i ^ i>>27) * 0x94d049bb133111eb
	return i ^ i>>31
}

// pkFloor runs c clients of bare primary-key lookups against the database,
// n in all: what one indexed round trip costs under the same concurrency.
func pkFloor(dbURL string, seeded, c, n int, maxTime time.Duration, pgDB string) error {
	u, err := url.Parse(dbURL)
	if err != nil || seeded <= 0 || !isLocal(u) {
		return fmt.Errorf("pk-floor needs -seeded N and -db postgres://… on a local address")
	}
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(c)
	db.SetMaxIdleConns(c)
	ctx, cancel := context.WithTimeout(context.Background(), maxTime)
	defer cancel()
	st, err := db.PrepareContext(ctx, `SELECT id, first_name, last_name, email, phone FROM contacts WHERE id = $1`)
	if err != nil {
		return err
	}
	defer st.Close()
	cpu := newCPUMeter(nil, pgDB)
	served := run(ctx, c, n, func(ctx context.Context, i int) (int, error) {
		id := fmt.Sprintf("s%019d", 1+(i*7919)%seeded)
		var a, b, d string
		var e, p sql.NullString
		if err := st.QueryRowContext(ctx, id).Scan(&a, &b, &d, &e, &p); err != nil {
			return 0, err
		}
		return http.StatusOK, nil
	})
	cpu.stop().report(os.Stdout, served)
	return nil
}
