package console_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/app/apptest"
	"github.com/pdp-project/pdp/internal/config"
)

// browserTimeout bounds the whole browser session.
const browserTimeout = 3 * time.Minute

// chromiumPath finds Debian's chromium (or another Chromium build): with
// CI set a missing browser fails the test, otherwise it skips it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found (CI is set, so this fails; `make deps` installs it)")
	}
	t.Skip("chromium not found (run `make deps`)")
	return ""
}

// startServer runs the PDP in-process over the example bundle on free
// loopback ports, with callers ids as auditors and policy authors, and
// returns the console's base URL and the gRPC address.
func startServer(t *testing.T, ids []string) (string, string) {
	t.Helper()
	cfg := config.Default()
	cfg.Server.GRPCAddr, cfg.Server.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Bundle.Sources = []string{exampleBundle}
	cfg.Authz.Auditors, cfg.Authz.PolicyAuthors = ids, ids
	cfg.Audit.CheckpointEvery = 10
	cfg = cfg.Complete()
	a := apptest.Run(t, cfg, nil)
	return "http://" + a.HTTPAddr(), a.GRPCAddr()
}

// checks asks the server for decisions over gRPC, as a service would:
// each subject reads and deletes a document; it returns how many of bob's
// decisions were denies.
func checks(t *testing.T, addr string) (total, bobDenied int) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := pdpv1.NewAuthorizationServiceClient(conn)
	for i, subject := range []string{"alice", "bob", "carol", "bob", "alice", "bob"} {
		for _, action := range []string{"read", "delete"} {
			resp, err := client.Check(context.Background(), &pdpv1.CheckRequest{
				Subject:  &pdpv1.Subject{Type: "user", Id: subject, Roles: []string{"viewer"}},
				Resource: &pdpv1.Resource{Type: "document", Id: "d" + strconv.Itoa(i)}, Action: &pdpv1.Action{Name: action}})
			if err != nil {
				t.Fatal(err)
			}
			total++
			if subject == "bob" && !resp.GetAllow() {
				bobDenied++
			}
		}
	}
	return total, bobDenied
}

// browser is one headless Chromium tab.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string // screenshots
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(t)), chromedp.NoSandbox,
		chromedp.Headless, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 800))
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(func() { cancelTab(); cancelAlloc(); cancel() })
	// The first action starts the browser, which lives as long as the
	// context of that action: the tab's, not a step's.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	dir := os.Getenv("PDP_CONSOLE_SCREENSHOTS") // to keep them, e.g. as CI artifacts
	if dir == "" {
		dir = t.TempDir()
	}
	return &browser{t: t, ctx: ctx, base: base, dir: dir}
}

// stepTimeout bounds one step, so that a failure shows the page it was on.
const stepTimeout = 20 * time.Second

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v\n%s", err, b.where())
	}
}

// where describes the page the browser is on, for failure messages.
func (b *browser) where() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main") ? document.querySelector("main").innerText : document.body.innerText`))
	return "on " + loc + ":\n" + text[:min(len(text), 2000)]
}

// open loads a page and waits until sel shows.
func (b *browser) open(path, sel string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+path), chromedp.WaitVisible(sel))
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(sel))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.AttributeValue(sel, name))
	if err != nil || !v.Exists {
		b.t.Fatalf("attribute %s of %s: %v (exists %t)", name, sel, err, v.Exists)
	}
	return v.Value
}

func evalJS[T any](b *browser, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds, through the
// navigation it waits for (an evaluation fails while the page changes).
func (b *browser) waitFor(cond string) {
	b.t.Helper()
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var ok bool
		if ok, err = chromedp.Run(b.ctx, chromedp.Evaluate[bool](cond)); err == nil && ok {
			return
		}
	}
	b.t.Fatalf("waiting for %s: not true after 30s (last error %v)\n%s", cond, err, b.where())
}

// in is the browser reporting to the subtest t.
func (b *browser) in(t *testing.T) *browser {
	c := *b
	c.t = t
	return &c
}

// shot saves a screenshot of the whole page and checks that nothing is
// wider than the window.
func (b *browser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // quality 100 is PNG; below it, JPEG
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", path)
	if w := evalJS[int](b, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
		b.t.Errorf("%s: the page is %dpx wider than the window", name, w)
	}
}

func (b *browser) count() int {
	b.t.Helper()
	n, err := strconv.Atoi(b.attr("#count [data-count]", "data-count"))
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

// TestConsoleInBrowser drives the console in headless Chromium against a
// real server holding recorded decisions: every page, filters through the
// form (with the keyboard) and the URL, a decision and explain again, the
// playground and a replay against a candidate, an export, a narrow window,
// and the refusal page of a caller who is not an auditor.
func TestConsoleInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium and two servers")
	}
	chromiumPath(t)
	base, grpcAddr := startServer(t, []string{"local"})
	total, bobDenied := checks(t, grpcAddr)
	b := newBrowser(t, base)
	t.Run("overview", func(t *testing.T) { overviewInBrowser(b.in(t)) })
	t.Run("search", func(t *testing.T) { searchInBrowser(b.in(t), total, bobDenied) })
	t.Run("decision", func(t *testing.T) { decisionInBrowser(b.in(t)) })
	t.Run("playground", func(t *testing.T) { playgroundInBrowser(b.in(t)) })
	t.Run("replay", func(t *testing.T) { replayInBrowser(b.in(t), total) })
	t.Run("export", func(t *testing.T) { exportInBrowser(b.in(t), total) })
	t.Run("narrow", func(t *testing.T) { narrowInBrowser(b.in(t)) })
	refusedBase, _ := startServer(t, nil)
	b.base = refusedBase
	t.Run("refused", func(t *testing.T) { refusedInBrowser(b.in(t)) })
}

func overviewInBrowser(b *browser) {
	b.open("/ui/", "#chart")
	if v := b.text("#chain-verdict"); !strings.Contains(v, "records") {
		b.t.Errorf("chain status %q", v)
	}
	if r := b.text("#active-revision"); r != "example-1" {
		b.t.Errorf("active revision %q", r)
	}
	if top := b.text("#top-action + ol"); !strings.Contains(top, "delete") {
		b.t.Errorf("denied actions %q lack delete", top)
	}
	b.shot("overview")
}

func searchInBrowser(b *browser, total, bobDenied int) {
	b.open("/ui/decisions", "#count")
	if n := b.count(); n != total {
		b.t.Errorf("all decisions: count %d, want %d", n, total)
	}
	b.shot("decisions")
	// Through the form, by keyboard: "/" focuses the first filter.
	b.do(chromedp.SetValue(`select[name=decision]`, "deny"), chromedp.KeyEvent("/"))
	if name := evalJS[string](b, `document.activeElement.name`); name != "subject" {
		b.t.Fatalf("/ focused %q, want the subject filter", name)
	}
	// The protocol delivers the "/" as a character apart from its keydown,
	// which the page cancelled: a real keyboard leaves the field empty.
	evalJS[string](b, `document.activeElement.value = ""`)
	b.do(chromedp.KeyEvent("user:bob"), chromedp.KeyEvent("\r"))
	b.waitFor(`location.search.includes("subject=user%3Abob") && document.readyState === "complete"`)
	b.do(chromedp.WaitVisible("#count"))
	if n := b.count(); n != bobDenied {
		b.t.Errorf("bob's denials through the form: count %d, want %d", n, bobDenied)
	}
	b.shot("decisions-filtered")
	// Through the URL; the form shows the filters of the link.
	b.open("/ui/decisions?action=read&subject=user:bob", "#count")
	if n, v := b.count(), evalJS[string](b, `document.querySelector("input[name=action]").value`); n != 3 || v != "read" {
		b.t.Errorf("bob's reads by URL: count %d and action field %q, want 3 and read", n, v)
	}
	b.open("/ui/decisions?subject=user:nobody", "#empty")
	b.open("/ui/decisions?since=whenever", "#search-error")
	b.shot("decisions-error")
}

func decisionInBrowser(b *browser) {
	b.open("/ui/decisions?decision=deny", "a.row-link")
	b.do(chromedp.Click("a.row-link"), chromedp.WaitVisible("#decision-id"))
	if cover := b.text("#cover"); cover == "" {
		b.t.Error("no chain position")
	}
	b.do(chromedp.Click(`a[href$="explain=1#again"]`), chromedp.WaitVisible("#revision-same"))
	b.do(chromedp.Reload(), chromedp.WaitVisible("#revision-same"))
	if e := b.text("#again-section pre.explain"); !strings.Contains(e, "deny by authz/decision") {
		b.t.Errorf("explanation %q", e)
	}
	b.shot("decision")
}

func playgroundInBrowser(b *browser) {
	b.do(chromedp.Click(`a[href^="/ui/playground?from="]`), chromedp.WaitVisible("#prefilled"))
	cand, err := filepath.Abs(candidateDir)
	if err != nil {
		b.t.Fatal(err)
	}
	// Ctrl+Enter in the editor runs the form.
	b.do(chromedp.SetValue("#candidate", cand), chromedp.Focus("#request"),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.WaitVisible("#results"))
	if d := b.text("#differences"); !strings.Contains(d, "reasons") {
		b.t.Errorf("differences %q", d)
	}
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil || !strings.Contains(loc, "run=1") {
		b.t.Errorf("the result's address %q (%v) is not its deep link", loc, err)
	}
	b.shot("playground")
}

func replayInBrowser(b *browser, total int) {
	b.open("/ui/replay", "#replay-form")
	cand, _ := filepath.Abs(candidateDir)
	b.do(chromedp.SetValue(`#replay-form input[name=candidate]`, cand))
	// Submitting shows the loading state at once, until the report arrives.
	if !evalJS[bool](b, `(() => { document.querySelector("#replay-form").requestSubmit();
		return !document.getElementById("busy").hidden && document.body.getAttribute("aria-busy") === "true"; })()`) {
		b.t.Error("no loading state while the replay runs")
	}
	b.do(chromedp.WaitVisible("#report"))
	if n := b.text("#n-records"); n != strconv.Itoa(total) {
		b.t.Errorf("replayed %s records, want %d", n, total)
	}
	if k := b.text("#kinds"); !strings.Contains(k, "reasons") {
		b.t.Errorf("change kinds %q", k)
	}
	b.shot("replay")
}

func exportInBrowser(b *browser, total int) {
	b.open("/ui/decisions", "#count")
	got := evalJS[[]string](b, `fetch(document.querySelector('a[href*="format=csv"]').href).then(async r =>
		[String(r.status), r.headers.get("X-PDP-Trail-Verification"), await r.text()])`)
	lines := strings.Split(strings.TrimSpace(got[2]), "\n")
	if got[0] != "200" || len(lines) != total+1 || !strings.HasSuffix(lines[0], "verification,checkpoint_seq") {
		b.t.Errorf("export: status %s, %d lines, header %q; want 200, %d lines", got[0], len(lines), lines[0], total+1)
	}
	if !strings.Contains(got[1], "records=") {
		b.t.Errorf("export verification %q", got[1])
	}
}

func narrowInBrowser(b *browser) {
	b.do(chromedp.EmulateViewport(390, 844))
	defer b.do(chromedp.EmulateViewport(1280, 800))
	b.open("/ui/decisions", "#count")
	b.shot("decisions-narrow")
	b.open("/ui/", "#chart")
	b.shot("overview-narrow")
}

func refusedInBrowser(b *browser) {
	for _, path := range []string{"/ui/decisions", "/ui/", "/ui/playground", "/ui/replay"} {
		b.open(path, "#refusal")
		if evalJS[bool](b, `document.querySelector("table, #chart, textarea") !== null`) {
			b.t.Errorf("%s: the refusal page shows data", path)
		}
	}
	status := evalJS[int](b, `fetch("/ui/decisions").then(r => r.status)`)
	if status != http.StatusForbidden {
		b.t.Errorf("refusal status %d, want 403", status)
	}
	b.shot("refused")
}
