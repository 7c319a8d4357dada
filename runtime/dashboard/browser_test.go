package dashboard_test

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tenantgen/tenantgen/internal/testenv"
)

// screenshots, when set, is the directory the browser tests write their
// screenshots to: docs/img is made with
//
//	go test ./runtime/dashboard -run TestBrowserScreenshots -screenshots ../../docs/img
var screenshots = flag.String("screenshots", "", "write screenshots of the dashboard's pages to this `directory`")

// chromium returns the path of the headless browser to drive, or skips
// the test, saying how to get one.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TENANTGEN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium for the dashboard's browser tests: run scripts/test.sh, which installs it (apt-get install chromium), or set TENANTGEN_CHROMIUM to a Chromium or Chrome binary")
	return ""
}

// browser starts a headless Chromium for the test, with a fresh profile,
// and returns a context to run chromedp actions in. The flags keep it off
// the network: on a machine without one, a browser left to update its
// components and sync is slow to start.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first call starts the browser, which lives as long as its
	// context: the test's deadline goes on the actions' context only.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(bctx, testenv.Timeout)
	t.Cleanup(cancelTimeout)
	return ctx
}

// run runs chromedp actions, failing the test with what was being done.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %s: %v", what, err)
	}
}

// shot writes a screenshot of the page to the screenshots directory as
// dashboard-name.png, if the flag asks for them.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if *screenshots == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("browser: screenshot %s: %v", name, err)
	}
	path := filepath.Join(*screenshots, "dashboard-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}
