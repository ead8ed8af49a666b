package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nplus1/nplus1/reports"
)

func TestKeygenSignVerify(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "nplus1.key")
	code, stdout, stderr := runWith(t, nil, "keygen", "-o", key)
	if code != 0 {
		t.Fatalf("keygen: exit %d\n%s", code, stderr)
	}
	st, err := os.Stat(key)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v, mode %v; want 0600", err, st.Mode())
	}
	pubFile, _ := os.ReadFile(key + ".pub")
	if strings.TrimSpace(string(pubFile)) != strings.TrimSpace(stdout) {
		t.Errorf("printed public key %q differs from %s.pub %q", stdout, key, pubFile)
	}
	if code, _, stderr := runWith(t, nil, "keygen", "-o", key); code != exitUsage || !strings.Contains(stderr, "exists") {
		t.Errorf("keygen over an existing key: exit %d, %s", code, stderr)
	}

	// Sign a card the way grade does with NPLUS1_SIGNING_KEY set.
	priv, err := reports.LoadSigningKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cardDir := filepath.Join(dir, "results")
	writeCard(t, cardDir, "orders-users", "Orders and their users", reports.Pass, time.Now().UTC(), 1)
	c, err := reports.ReadCard(filepath.Join(cardDir, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	c.Environment.Sandbox = "none (turned off)"
	if err := reports.Sign(c, priv); err != nil {
		t.Fatal(err)
	}
	if err := c.Write(cardDir); err != nil {
		t.Fatal(err)
	}
	card := filepath.Join(cardDir, "result.json")

	for _, k := range []string{key + ".pub", strings.TrimSpace(stdout)} {
		code, out, stderr := runWith(t, nil, "verify", card, "--key", k)
		if code != 0 || !strings.Contains(out, "VERIFIED") || !strings.Contains(out, "sandbox: none (turned off): the solution ran as the grader, unisolated") {
			t.Errorf("verify untouched with --key %s: exit %d, want 0 and the sandbox said\n%s%s", k, code, out, stderr)
		}
	}
	if code, out, _ := runWith(t, nil, "verify", cardDir, "--key", key+".pub"); code != 0 {
		t.Errorf("verify DIR: exit %d\n%s", code, out)
	}

	b, _ := os.ReadFile(card)
	if !strings.Contains(string(b), `"sandbox": "none (turned off)"`) {
		t.Fatalf("the signed card does not record its sandbox:\n%s", b)
	}
	edited := strings.Replace(string(b), `"seed": 42`, `"seed": 43`, 1)
	if err := os.WriteFile(card, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runWith(t, nil, "verify", card, "--key", key+".pub")
	if code != exitFail || !strings.Contains(out, "NOT VERIFIED") || !strings.Contains(out, "environment.seed: changed") {
		t.Errorf("verify edited: exit %d, want 1 naming environment.seed\n%s", code, out)
	}

	if code, _, stderr := runWith(t, nil, "verify", card); code != exitUsage || !strings.Contains(stderr, "--key") {
		t.Errorf("verify without --key: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runWith(t, nil, "verify", card, "--key", "nope"); code != exitUsage || !strings.Contains(stderr, "public key") {
		t.Errorf("verify with a bad key: exit %d, %s", code, stderr)
	}
}
