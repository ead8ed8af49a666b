package reports

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testKey is a fixed key, so the signed golden file is stable (ed25519
// signatures are deterministic).
func testKey() ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i)
	}
	return ed25519.NewKeyFromSeed(seed)
}

func signedCardBytes(t *testing.T) []byte {
	t.Helper()
	c := passCard()
	if err := Sign(c, testKey()); err != nil {
		t.Fatal(err)
	}
	b, err := EncodeJSON(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSignedCardGolden(t *testing.T) {
	b := signedCardBytes(t)
	golden(t, "pass.signed.json", b)
	canon, err := Canonical(b)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "pass.canonical.json", append(canon, '\n'))
}

func TestVerifyUntouched(t *testing.T) {
	b := signedCardBytes(t)
	pub := testKey().Public().(ed25519.PublicKey)
	v, err := Verify(b, pub)
	if err != nil {
		t.Fatalf("untouched card: %v", err)
	}
	if v.KeyID != KeyID(pub) || v.Card.Environment.Seed != 333387659 || v.Card.Verdict != Pass {
		t.Errorf("verified = %+v", v)
	}
	// Through the file Write makes, too.
	dir := t.TempDir()
	c := passCard()
	if err := Sign(c, testKey()); err != nil {
		t.Fatal(err)
	}
	if err := c.Write(dir); err != nil {
		t.Fatal(err)
	}
	fb, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(fb, pub); err != nil {
		t.Errorf("written card: %v", err)
	}
}

func TestVerifyOddText(t *testing.T) {
	c := nobuildCard()
	c.Output = "bad utf-8 \xff\xfe, <html> & \u2028 \x1b[0m \"quoted\" \\ done"
	if err := Sign(c, testKey()); err != nil {
		t.Fatal(err)
	}
	b, err := EncodeJSON(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(b, testKey().Public().(ed25519.PublicKey)); err != nil {
		t.Errorf("card with odd text: %v", err)
	}
}

func TestVerifyFailsOnEveryEditedByte(t *testing.T) {
	t.Parallel()
	b := signedCardBytes(t)
	pub := testKey().Public().(ed25519.PublicKey)
	for i := range b {
		for _, edit := range []func(byte) byte{
			func(x byte) byte { return x ^ 0x01 },
			func(x byte) byte {
				if x == ' ' {
					return '\t'
				}
				return ' '
			},
		} {
			e := bytes.Clone(b)
			e[i] = edit(e[i])
			if _, err := Verify(e, pub); err == nil {
				t.Fatalf("byte %d edited (%q -> %q) still verifies", i, b[i], e[i])
			}
		}
	}
	// Bytes added or removed.
	if _, err := Verify(append(bytes.Clone(b), '\n'), pub); err == nil {
		t.Error("a trailing newline added still verifies")
	}
	if _, err := Verify(b[:len(b)-1], pub); err == nil {
		t.Error("the final newline removed still verifies")
	}
}

func TestVerifyNamesTheEditedField(t *testing.T) {
	b := signedCardBytes(t)
	pub := testKey().Public().(ed25519.PublicKey)
	tests := []struct {
		old, new string
		want     string
	}{
		{`"seed": 333387659`, `"seed": 333387658`, "environment.seed: changed"},
		{`"statements": 101,`, `"statements": 11,`, "baseline.metrics.statements: changed"},
		{`"verdict": "pass"`, `"verdict": "fail"`, "verdict: changed"},
		{`"rtt_ms": 5,`, `"rtt_ms": 5.0,`, "environment.rtt_ms: changed"},
		{`"value": 6.3,`, `"value": 6.3, "note": "x",`, "checks[2].note: added"},
	}
	for _, tt := range tests {
		if !bytes.Contains(b, []byte(tt.old)) {
			t.Fatalf("card lacks %s", tt.old)
		}
		e := bytes.Replace(b, []byte(tt.old), []byte(tt.new), 1)
		_, err := Verify(e, pub)
		var ve *VerifyError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(ve.Reason, "edited after signing") {
			t.Errorf("%s -> %s: err = %v, want it to name %q", tt.old, tt.new, err, tt.want)
		}
	}
	// Whitespace only: the values are as signed, the layout is not.
	e := bytes.Replace(b, []byte(`"seed": 333387659`), []byte(`"seed":  333387659`), 1)
	if _, err := Verify(e, pub); err == nil || !strings.Contains(err.Error(), "layout") {
		t.Errorf("whitespace edit: %v", err)
	}
}

func TestVerifyOtherKeyAndUnsigned(t *testing.T) {
	b := signedCardBytes(t)
	other, _, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(b, other); err == nil || !strings.Contains(err.Error(), "signed by key "+KeyID(testKey().Public().(ed25519.PublicKey))) {
		t.Errorf("other key: %v", err)
	}
	plain, _ := EncodeJSON(passCard())
	if _, err := Verify(plain, other); err == nil || !strings.Contains(err.Error(), "not signed") {
		t.Errorf("unsigned: %v", err)
	}
	if _, err := Verify([]byte("{"), other); err == nil {
		t.Error("broken JSON verifies")
	}
}

func TestCanonicalEncoding(t *testing.T) {
	in := []byte(`{"b": [1.50, true, null, {}], "a": "tab\t \"q\" \\ \u0001 é \u00e9 <&>", "signature": {"x": 1}, "c": 1e3}`)
	got, err := Canonical(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":"tab\t \"q\" \\ \u0001 é é <&>","b":[1.50,true,null,{}],"c":1e3}`
	if string(got) != want {
		t.Errorf("canonical:\n got %s\nwant %s", got, want)
	}
}

func TestKeysRoundTrip(t *testing.T) {
	pub, priv, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := ParsePrivateKey(EncodePrivateKey(priv) + "\n")
	if err != nil || !p2.Equal(priv) {
		t.Fatalf("private key round trip: %v", err)
	}
	bad := bytes.Clone(priv)
	bad[63] ^= 1
	p3, err := ParsePrivateKey(EncodePublicKey(ed25519.PublicKey(bad)))
	if err == nil || p3 != nil {
		t.Errorf("a 64-byte blob with a wrong public half parsed")
	}
	pb, err := ParsePublicKey(EncodePublicKey(pub))
	if err != nil || !pb.Equal(pub) {
		t.Fatalf("public key round trip: %v", err)
	}
	if _, err := ParsePublicKey("not base64!"); err == nil {
		t.Error("garbage public key parsed")
	}
	dir := t.TempDir()
	kf := filepath.Join(dir, "k")
	if err := os.WriteFile(kf, []byte(EncodePrivateKey(priv)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{EncodePrivateKey(priv), kf} {
		k, err := LoadSigningKey(v)
		if err != nil || !k.Equal(priv) {
			t.Errorf("LoadSigningKey(%q): %v", v, err)
		}
	}
	if _, err := LoadSigningKey(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing key file loaded")
	}
}

// A public key given as the signing key is refused, as text or as a .pub
// file: the cards it signed could not be vouched for by the key's owner.
func TestSigningWithAPublicKeyIsRefused(t *testing.T) {
	pub := EncodePublicKey(testKey().Public().(ed25519.PublicKey))
	file := filepath.Join(t.TempDir(), "nplus1.key.pub")
	if err := os.WriteFile(file, []byte(pub+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, value := range []string{pub, file} {
		if _, err := LoadSigningKey(value); err == nil || !strings.Contains(err.Error(), "the size of a public key") {
			t.Errorf("LoadSigningKey(%s) = %v, want a refusal naming the public key", value, err)
		}
	}
	if _, err := ParsePublicKey(EncodePrivateKey(testKey())); err == nil || !strings.Contains(err.Error(), "a private key: give the public key") {
		t.Errorf("ParsePublicKey(the private key) = %v, want a refusal naming the private key", err)
	}
	if k, err := LoadSigningKey(EncodePrivateKey(testKey())); err != nil || !k.Equal(testKey()) {
		t.Errorf("LoadSigningKey(the private key) = %v, %v", k, err)
	}
}
