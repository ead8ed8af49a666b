package reports

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Signature is an ed25519 signature over the card's canonical encoding.
//
// The canonical encoding of a JSON value is JSON with
//
//   - object members sorted by key (byte order of the UTF-8 keys), written
//     "key":value and separated by ",";
//   - array elements in order, separated by ",";
//   - strings in double quotes, escaping only `"` as \", `\` as \\ and the
//     control characters U+0000 to U+001F (\b \t \n \f \r, else \u00xx in
//     lower-case hex); every other character as its UTF-8 bytes;
//   - numbers exactly as written in result.json; true, false and null;
//   - no whitespace anywhere.
//
// Canonical is the sha256 of the canonical encoding of the card without
// its "signature" member: the content. Fields holds a short digest of each
// leaf value of that content, keyed by its path ("environment.seed",
// "checks[1].value"), so that verify can name the fields edited since.
// Value signs the canonical encoding of the whole card with the signature
// member holding every field but "value", so that the signature block's
// own fields (key id, digests) cannot be edited either.
type Signature struct {
	Algorithm string `json:"algorithm"` // "ed25519"
	// KeyID is the first 16 hex digits of the sha256 of the public key.
	KeyID string `json:"key_id"`
	// Canonical is "sha256:" and the hex sha256 of the signed bytes.
	Canonical string `json:"canonical"`
	// Fields maps each leaf's path to the first 16 hex digits of the
	// sha256 of its canonical encoding. Diagnostic only: what is trusted
	// is Value.
	Fields map[string]string `json:"fields"`
	// Value is the base64 (standard, padded) ed25519 signature of the
	// card with this block less Value.
	Value string `json:"value"`
}

// GenerateKey makes a new ed25519 key pair from r (crypto/rand when nil).
func GenerateKey(r io.Reader) (ed25519.PublicKey, ed25519.PrivateKey, error) {
	if r == nil {
		r = rand.Reader
	}
	pub, priv, err := ed25519.GenerateKey(r)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	return pub, priv, nil
}

// EncodePrivateKey writes a private key as keygen stores it: the base64 of
// its 64 bytes (the seed, then the public key). A public key is 32 bytes,
// so the one is never taken for the other.
func EncodePrivateKey(k ed25519.PrivateKey) string {
	return base64.StdEncoding.EncodeToString(k)
}

// EncodePublicKey writes a public key as base64 of its 32 bytes.
func EncodePublicKey(k ed25519.PublicKey) string {
	return base64.StdEncoding.EncodeToString(k)
}

// ParsePrivateKey reads a base64 ed25519 private key of 64 bytes, as keygen
// writes it; surrounding space is ignored. 32 bytes are refused: that is
// the size of a public key, and signing with a public key (a .pub file
// given by mistake) would make cards that its key's owner cannot vouch for.
func ParsePrivateKey(s string) (ed25519.PrivateKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("parse private key: not base64: %w", err)
	}
	switch len(b) {
	case ed25519.PublicKeySize:
		return nil, errors.New("parse private key: this is 32 bytes, the size of a public key (a .pub file?); a private key from nplus1 keygen is 64 bytes")
	case ed25519.PrivateKeySize:
		k := ed25519.NewKeyFromSeed(b[:ed25519.SeedSize])
		if !bytes.Equal(k, b) {
			return nil, errors.New("parse private key: its public half does not match its seed")
		}
		return k, nil
	}
	return nil, fmt.Errorf("parse private key: %d bytes, want %d", len(b), ed25519.PrivateKeySize)
}

// ParsePublicKey reads a base64 ed25519 public key (32 bytes).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("parse public key: not base64: %w", err)
	}
	if len(b) != ed25519.PublicKeySize {
		if len(b) == ed25519.PrivateKeySize {
			return nil, errors.New("parse public key: this is 64 bytes, a private key: give the public key (the .pub file keygen wrote next to it)")
		}
		return nil, fmt.Errorf("parse public key: %d bytes, want %d", len(b), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// LoadSigningKey reads the value of NPLUS1_SIGNING_KEY: the base64 private
// key itself (a CI secret) or the path of a file holding it (as keygen
// writes it).
func LoadSigningKey(value string) (ed25519.PrivateKey, error) {
	k, err := ParsePrivateKey(value)
	if err == nil {
		return k, nil
	}
	if b, berr := base64.StdEncoding.DecodeString(strings.TrimSpace(value)); berr == nil && len(b) == ed25519.PublicKeySize {
		return nil, errors.New("NPLUS1_SIGNING_KEY holds 32 bytes, the size of a public key: give the private key (nplus1.key, 64 bytes), not the .pub file")
	}
	b, err := os.ReadFile(strings.TrimSpace(value))
	if err != nil {
		// Not the value: it may be a mistyped secret, and cards are public.
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err
		}
		return nil, fmt.Errorf("NPLUS1_SIGNING_KEY is neither a base64 ed25519 key nor a readable key file (%v)", err)
	}
	if k, err = ParsePrivateKey(string(b)); err != nil {
		return nil, fmt.Errorf("signing key %s: %w", value, err)
	}
	return k, nil
}

// LoadPublicKey reads a public key given as base64 or as the path of a
// file holding it.
func LoadPublicKey(value string) (ed25519.PublicKey, error) {
	if k, err := ParsePublicKey(value); err == nil {
		return k, nil
	}
	b, err := os.ReadFile(value)
	if err != nil {
		return nil, fmt.Errorf("public key: %q is neither a base64 ed25519 key nor a readable file: %w", value, err)
	}
	k, err := ParsePublicKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", value, err)
	}
	return k, nil
}

// KeyID returns the short name of a public key: the first 16 hex digits of
// its sha256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// Sign signs the card with key over its canonical encoding (see
// Signature) and stores the signature in c.Signature, replacing any
// earlier one. It first replaces the card by what its JSON encoding holds
// (the only change: invalid UTF-8 becomes U+FFFD). Call it after Annotate
// and before Write; any change to the card after Sign breaks the signature.
func Sign(c *Card, key ed25519.PrivateKey) error {
	c.Signature = nil
	// Make the card what its JSON holds (invalid UTF-8 in a solution's
	// output becomes U+FFFD), so that the file written verifies as is.
	js, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("sign card: %w", err)
	}
	var norm Card
	if err := json.Unmarshal(js, &norm); err != nil {
		return fmt.Errorf("sign card: %w", err)
	}
	*c = norm
	content, err := cardObject(c)
	if err != nil {
		return fmt.Errorf("sign card: %w", err)
	}
	sum := sha256.Sum256(canonical(content))
	fields := map[string]string{}
	leaves(content, "", fields)
	c.Signature = &Signature{
		Algorithm: "ed25519",
		KeyID:     KeyID(key.Public().(ed25519.PublicKey)),
		Canonical: "sha256:" + hex.EncodeToString(sum[:]),
		Fields:    fields,
	}
	whole, err := cardObject(c)
	if err != nil {
		c.Signature = nil
		return fmt.Errorf("sign card: %w", err)
	}
	c.Signature.Value = base64.StdEncoding.EncodeToString(ed25519.Sign(key, message(whole)))
	return nil
}

// cardObject returns the card as a decoded JSON object, numbers as written.
func cardObject(c *Card) (map[string]any, error) {
	js, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	v, err := decodeJSON(js)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

// message returns the bytes Value signs: the canonical encoding of the
// card with its signature block less "value".
func message(card map[string]any) []byte {
	m := make(map[string]any, len(card))
	for k, v := range card {
		m[k] = v
	}
	if sig, ok := m["signature"].(map[string]any); ok {
		s := make(map[string]any, len(sig))
		for k, v := range sig {
			if k != "value" {
				s[k] = v
			}
		}
		m["signature"] = s
	}
	return canonical(m)
}

// Canonical returns the canonical encoding of a result.json without its
// signature (see Signature): the content whose sha256 is
// Signature.Canonical.
func Canonical(resultJSON []byte) ([]byte, error) {
	v, err := decodeJSON(resultJSON)
	if err != nil {
		return nil, fmt.Errorf("canonical card: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("canonical card: not a JSON object")
	}
	delete(obj, "signature")
	return canonical(obj), nil
}

// VerifyError says why a card does not verify.
type VerifyError struct {
	// Reason is one sentence: what is wrong.
	Reason string
	// Fields are the paths of the leaves edited, added or removed since
	// signing, each with what happened ("environment.seed: changed"),
	// when they can be told from the signature's field digests.
	Fields []string
}

func (e *VerifyError) Error() string {
	if len(e.Fields) == 0 {
		return e.Reason
	}
	return e.Reason + ": " + strings.Join(e.Fields, "; ")
}

// Verified describes a card that verified.
type Verified struct {
	Card  *Card
	KeyID string
}

// Verify checks a result.json's bytes against pub. It succeeds only when
// the card is signed by pub, no value changed since (the signature over the
// canonical encoding holds), and the file is byte for byte as nplus1 wrote
// it (EncodeJSON of the card), so any edited byte fails. Otherwise it
// returns a *VerifyError naming, where it can, the fields that differ or
// the first byte that does.
func Verify(data []byte, pub ed25519.PublicKey) (*Verified, error) {
	v, err := decodeJSON(data)
	if err != nil {
		return nil, &VerifyError{Reason: fmt.Sprintf("not a readable card: %v", err)}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &VerifyError{Reason: "not a card: the JSON is not an object"}
	}
	var sig Signature
	raw, ok := obj["signature"]
	if !ok || raw == nil {
		return nil, &VerifyError{Reason: "the card is not signed (set NPLUS1_SIGNING_KEY when grading)"}
	}
	sb, _ := json.Marshal(raw) // re-encodes a decoded value: cannot fail
	if err := json.Unmarshal(sb, &sig); err != nil {
		return nil, &VerifyError{Reason: fmt.Sprintf("the signature block is not readable: %v", err)}
	}
	sigBytes, err := base64.StdEncoding.Strict().DecodeString(sig.Value)
	if err != nil || sig.Algorithm != "ed25519" || len(sigBytes) != ed25519.SignatureSize {
		return nil, &VerifyError{Reason: "the signature block was edited: its algorithm or value is not an ed25519 signature"}
	}
	if !ed25519.Verify(pub, message(obj), sigBytes) {
		delete(obj, "signature")
		sum := sha256.Sum256(canonical(obj))
		if "sha256:"+hex.EncodeToString(sum[:]) != sig.Canonical {
			now := map[string]string{}
			leaves(obj, "", now)
			return nil, &VerifyError{Reason: "the card was edited after signing", Fields: diffFields(sig.Fields, now)}
		}
		if id := KeyID(pub); sig.KeyID != id {
			return nil, &VerifyError{Reason: fmt.Sprintf("the card was signed by key %s, not by the key given (%s)", sig.KeyID, id)}
		}
		return nil, &VerifyError{Reason: "the signature block was edited: the content is as signed, its signature fields are not"}
	}
	var c Card
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, &VerifyError{Reason: fmt.Sprintf("not a card: %v", err)}
	}
	want, err := EncodeJSON(&c)
	if err != nil {
		return nil, &VerifyError{Reason: err.Error()}
	}
	if !bytes.Equal(want, data) {
		i := firstDiff(want, data)
		line := bytes.Count(data[:min(i, len(data))], []byte("\n")) + 1
		return nil, &VerifyError{Reason: fmt.Sprintf("the file was edited at byte %d (line %d): the values are as signed, but the layout is not the one nplus1 writes (whitespace, key order, escaping or a field this nplus1 does not know)", i, line)}
	}
	return &Verified{Card: &c, KeyID: sig.KeyID}, nil
}

func firstDiff(a, b []byte) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// diffFields compares the signed leaf digests with the current ones.
func diffFields(signed, now map[string]string) []string {
	var out []string
	for p, d := range now {
		s, ok := signed[p]
		switch {
		case !ok:
			out = append(out, p+": added")
		case s != d:
			out = append(out, p+": changed")
		}
	}
	for p := range signed {
		if _, ok := now[p]; !ok {
			out = append(out, p+": removed")
		}
	}
	sort.Strings(out)
	if len(out) == 0 && len(signed) > 0 {
		out = append(out, "(no single field: the field digests were edited too)")
	}
	return out
}

// decodeJSON decodes one JSON value keeping numbers as written.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}

// canonical encodes a decoded JSON value canonically (see Signature).
func canonical(v any) []byte {
	var b bytes.Buffer
	writeCanonical(&b, v)
	return b.Bytes()
}

func writeCanonical(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			writeCanonical(b, v[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonical(b, e)
		}
		b.WriteByte(']')
	case string:
		writeString(b, v)
	case json.Number:
		b.WriteString(string(v))
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case nil:
		b.WriteString("null")
	}
}

func writeString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			var buf [utf8.UTFMax]byte
			b.Write(buf[:utf8.EncodeRune(buf[:], r)])
		}
	}
	b.WriteByte('"')
}

// leaves records the digest of every leaf value (and of every empty object
// or array) under its path.
func leaves(v any, path string, out map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			out[path] = leafDigest(v)
		}
		for k, e := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			leaves(e, p, out)
		}
	case []any:
		if len(v) == 0 {
			out[path] = leafDigest(v)
		}
		for i, e := range v {
			leaves(e, fmt.Sprintf("%s[%d]", path, i), out)
		}
	default:
		out[path] = leafDigest(v)
	}
}

func leafDigest(v any) string {
	sum := sha256.Sum256(canonical(v))
	return hex.EncodeToString(sum[:8])
}
