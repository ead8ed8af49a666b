package proxy_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestStartupParamsAllowList checks that the proxy forwards only the
// startup parameters that format values, not ones that raise the role's
// bounds: options=-c work_mem=1GB and statement_timeout=0 are dropped.
func TestStartupParamsAllowList(t *testing.T) {
	ctx := context.Background()
	_, url, direct := startProxy(t, 0, 1)
	d, err := pgx.ConnectConfig(ctx, direct)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)
	show := func(c *pgx.Conn, name string) string {
		t.Helper()
		var v string
		if err := c.QueryRow(ctx, "SHOW "+name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	c := connect(t, url+"&options=-c%20work_mem%3D1GB&statement_timeout=0&lock_timeout=0&application_name=learner&TimeZone=Asia/Tokyo")
	for _, name := range []string{"work_mem", "statement_timeout", "lock_timeout"} {
		if got, want := show(c, name), show(d, name); got != want {
			t.Errorf("SHOW %s through the proxy = %q, want the role's default %q", name, got, want)
		}
	}
	if got := show(c, "work_mem"); got == "1GB" {
		t.Errorf("work_mem = 1GB: options was forwarded")
	}
	if got := show(c, "application_name"); got != "learner" {
		t.Errorf("application_name = %q, want learner (allowed parameters are forwarded)", got)
	}
	if got := show(c, "TimeZone"); got != "Asia/Tokyo" {
		t.Errorf("TimeZone = %q, want Asia/Tokyo", got)
	}
}
