package tools_test

// A real browser on the confirmation page: headless Chromium (the Debian
// package chromium; .ci/run installs it) driven through the DevTools
// protocol, against the real binary in stdio mode.

import (
	"context"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/internal/realparts"
)

// pageState opens what the browser shows now: the state line, and whether
// the page still has its form.
func pageState(t *testing.T, ctx context.Context) (string, bool) {
	t.Helper()
	realparts.Do(t, ctx, chromedp.WaitReady(chromedp.CSS("main")))
	main := realparts.Run(t, ctx, chromedp.OuterHTML(chromedp.CSS("main")))
	state := ""
	if strings.Contains(main, `id="state"`) {
		state = realparts.Run(t, ctx, chromedp.Text(chromedp.ID("state")))
	}
	return state, strings.Contains(main, "<form")
}

func TestConfirmPageInBrowser(t *testing.T) {
	ctx := realparts.Chromium(t)
	e := NewEnv(t, EnvOptions{}) // stdio, the default flags, a client without elicitation
	deletes := func() int { return e.SB.Count("DELETE", "") }

	// Confirm: the page shows the preview; the next call deletes exactly it.
	args := map[string]any{"sensorProfileId": north}
	link := pageLink(t, e.OK("delete_sensor_profile", args))
	if !strings.HasPrefix(link, "http://127.0.0.1:") {
		t.Fatalf("stdio mode's page is not on loopback: %s", link)
	}
	realparts.Do(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("confirm")))
	summary := realparts.Run(t, ctx, chromedp.Text(chromedp.ID("summary")))
	argsShown := realparts.Run(t, ctx, chromedp.Text(chromedp.ID("args")))
	title := realparts.Run(t, ctx, chromedp.Title())
	for _, want := range []string{`Delete sensor profile "North"`, `"ip-10-82-11-73"`, "fall back to the Default profile"} {
		if !strings.Contains(summary, want) {
			t.Fatalf("the page's preview lacks %q: %s", want, summary)
		}
	}
	if !strings.Contains(argsShown, `"`+north+`"`) || !strings.Contains(title, "Delete sensor profile") {
		t.Fatalf("arguments %q, title %q", argsShown, title)
	}
	if path := os.Getenv("CONFIRM_PAGE_SCREENSHOT"); path != "" { // docs/confirm-page.png
		png := realparts.Run(t, ctx, chromedp.FullScreenshot(100))
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if deletes() != 0 {
		t.Fatal("deleted before anyone confirmed")
	}
	realparts.Do(t, ctx, chromedp.Click(chromedp.ID("confirm")), chromedp.WaitVisible(chromedp.ID("state")))
	if state, form := pageState(t, ctx); !strings.HasPrefix(state, "Confirmed") || form {
		t.Fatalf("after Confirm: %q, form %v", state, form)
	}
	if deletes() != 0 {
		t.Fatal("the page itself deleted: the tool call must")
	}
	res := e.OK("delete_sensor_profile", args)
	if res["deleted"] != true || profileExists(e, north) || deletes() != 1 || e.SB.Count("DELETE", "/sensorProfile/"+north) != 1 {
		t.Fatalf("the confirmed call: %v, %d deletes", res, deletes())
	}

	// Reload after use (the browser resubmits the POST), then a plain visit:
	// nothing more happens.
	realparts.Do(t, ctx, chromedp.Reload())
	if state, form := pageState(t, ctx); form || !strings.Contains(state, "was used") {
		t.Fatalf("reload after use: %q, form %v", state, form)
	}
	realparts.Do(t, ctx, chromedp.Navigate(link))
	if state, form := pageState(t, ctx); form || !strings.Contains(state, "was used") {
		t.Fatalf("visit after use: %q, form %v", state, form)
	}
	if msg := e.Fail("delete_sensor_profile", args); !strings.Contains(msg, "not found") || deletes() != 1 {
		t.Fatalf("a call after use: %s", msg)
	}

	// Cancel: the next call runs nothing.
	other := map[string]any{"sensorProfileId": general}
	link = pageLink(t, e.OK("delete_sensor_profile", other))
	realparts.Do(t, ctx, chromedp.Navigate(link), chromedp.Click(chromedp.ID("cancel")), chromedp.WaitVisible(chromedp.ID("state")))
	if state, _ := pageState(t, ctx); !strings.HasPrefix(state, "You cancelled") {
		t.Fatalf("after Cancel: %q", state)
	}
	if res := e.OK("delete_sensor_profile", other); res["cancelled"] != true || !profileExists(e, general) || deletes() != 1 {
		t.Fatalf("after Cancel: %v", res)
	}

	// The page's form without its CSRF token is refused.
	link = pageLink(t, e.OK("delete_sensor_profile", other))
	realparts.Do(t, ctx, chromedp.Navigate(link), chromedp.RemoveAttribute(chromedp.CSS(`input[name="csrf"]`), "name"), chromedp.Click(chromedp.ID("confirm")),
		chromedp.WaitNotPresent(chromedp.ID("confirm"))) // the answer has loaded
	if body := realparts.Run(t, ctx, chromedp.Text(chromedp.CSS("body"))); !strings.Contains(body, "not the confirmation page's") {
		t.Fatalf("forged POST answered: %s", body)
	}

	// A form on another origin, even one holding the real token, is refused.
	_, _, csrf := getPage(t, link)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		template.Must(template.New("").Parse(`<form method="post" action="{{.Link}}"><input type="hidden" name="csrf" value="{{.CSRF}}">
<button id="go" name="decision" value="confirm">Win a prize</button></form>`)).Execute(w, map[string]string{"Link": link, "CSRF": csrf})
	}))
	defer evil.Close()
	realparts.Do(t, ctx, chromedp.Navigate(evil.URL), chromedp.Click(chromedp.ID("go")), chromedp.WaitNotPresent(chromedp.ID("go")))
	if body := realparts.Run(t, ctx, chromedp.Text(chromedp.CSS("body"))); !strings.Contains(body, "only from its own page") {
		t.Fatalf("cross-origin POST answered: %s", body)
	}
	if res := e.OK("delete_sensor_profile", other); res["confirmUrl"] != link || !profileExists(e, general) || deletes() != 1 {
		t.Fatalf("after the forged POSTs the approval must still wait: %v", res)
	}
}

// An expired page: its form, loaded in time and clicked late, confirms
// nothing, and the call says it expired.
func TestConfirmPageExpiresInBrowser(t *testing.T) {
	ctx := realparts.Chromium(t)
	ttl := 2 * time.Second
	e := NewEnv(t, EnvOptions{Flags: []string{"--confirm-ttl", ttl.String()}})
	args := map[string]any{"sensorProfileId": north}
	link := pageLink(t, e.OK("delete_sensor_profile", args))
	realparts.Do(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("confirm")))
	time.Sleep(ttl + time.Second) // past the expiry (a second is the store's resolution)
	realparts.Do(t, ctx, chromedp.Click(chromedp.ID("confirm")), chromedp.WaitVisible(chromedp.ID("state")))
	if state, form := pageState(t, ctx); form || !strings.Contains(state, "expired") {
		t.Fatalf("a late Confirm: %q, form %v", state, form)
	}
	if msg := e.Fail("delete_sensor_profile", args); !strings.Contains(msg, "expired") {
		t.Fatalf("a call after the expiry: %s", msg)
	}
	if !profileExists(e, north) || e.SB.Count("DELETE", "") != 0 {
		t.Fatal("an expired page deleted")
	}
}
