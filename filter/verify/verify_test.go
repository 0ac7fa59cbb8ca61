package verify_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/testing/cases"
)

var testSecret = []byte("test-secret-0123456789abcdef0123456789")

const testMaxBody = 64 << 10

func pipes(t testing.TB, secrets ...[]byte) verify.Scheme {
	t.Helper()
	var keys []verify.Key
	for i, s := range secrets {
		keys = append(keys, verify.Key{ID: "k" + string(rune('0'+i)), Secret: s})
	}
	s, err := verify.Preset("pipes", verify.Options{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// run streams a case through s, in the case's chunks, as the filter does,
// sent to authority with a body cap of maxBody.
func run(s verify.Scheme, tc cases.Case, authority string, maxBody int64) (string, error) {
	c, err := s.Begin(tc.Request(authority), tc.Now)
	if err != nil {
		return "", err
	}
	c = verify.Limit(c, maxBody)
	if c.NeedsBody() {
		for _, chunk := range tc.SplitBody() {
			if _, err := c.Write(chunk); err != nil {
				return "", err
			}
		}
	}
	return c.Verify()
}

// TestPipesCases runs the first release's table against the pure-Go core.
func TestPipesCases(t *testing.T) {
	s := pipes(t, testSecret)
	for _, tc := range cases.Pipes(testSecret, testMaxBody) {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			_, err := run(s, tc, "example.test", testMaxBody)
			if !errors.Is(err, tc.WantErr) || (tc.WantErr == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tc.WantErr)
			}
		})
	}
}

func TestBodyCapDecidedWhenCrossed(t *testing.T) {
	c, err := pipes(t, testSecret).Begin(cases.Case{Header: []verify.Field{{Name: "x-pipes-signature", Value: verify.SignPipes(testSecret, nil)}}}.Request("h"), zeroTime)
	if err != nil {
		t.Fatal(err)
	}
	c = verify.Limit(c, 10)
	if _, err := c.Write(make([]byte, 10)); err != nil {
		t.Fatalf("at the cap: %v", err)
	}
	if _, err := c.Write([]byte{0}); !errors.Is(err, verify.ErrBodyTooLarge) {
		t.Fatalf("past the cap: %v", err)
	}
	if _, err := c.Verify(); !errors.Is(err, verify.ErrBodyTooLarge) {
		t.Fatalf("Verify after the cap: %v", err)
	}
}

func TestSchemesRefuseBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func() error
		want error
	}{
		{"no keys", func() error { _, err := verify.Preset("stripe", verify.Options{}); return err }, verify.ErrNoKeys},
		{"empty secret", func() error {
			_, err := verify.Preset("github", verify.Options{Keys: []verify.Key{{ID: "a"}}})
			return err
		}, verify.ErrEmptySecret},
		{"unknown preset", func() error { _, err := verify.Preset("nope", verify.Options{}); return err }, verify.ErrUnknownPreset},
		{"template without body", func() error {
			_, err := verify.NewHMAC(verify.HMAC{SignatureHeaders: []string{"x"}, Template: "{timestamp}", TimestampHeader: "t", Keys: []verify.Key{{Secret: testSecret}}})
			return err
		}, verify.ErrInvalidScheme},
		{"timestamp read but not signed", func() error {
			_, err := verify.NewHMAC(verify.HMAC{SignatureHeaders: []string{"x"}, TimestampHeader: "t", Keys: []verify.Key{{Secret: testSecret}}})
			return err
		}, verify.ErrInvalidScheme},
		{"unknown variable", func() error {
			_, err := verify.NewHMAC(verify.HMAC{SignatureHeaders: []string{"x"}, Template: "{nope}{body}", Keys: []verify.Key{{Secret: testSecret}}})
			return err
		}, verify.ErrInvalidScheme},
		{"bad algorithm", func() error {
			_, err := verify.NewHMAC(verify.HMAC{Algorithm: "md5", SignatureHeaders: []string{"x"}, Keys: []verify.Key{{Secret: testSecret}}})
			return err
		}, verify.ErrInvalidScheme},
		{"token in two places", func() error {
			_, err := verify.NewToken(verify.Token{Header: "x", Bearer: true, Keys: []verify.Key{{Secret: testSecret}}})
			return err
		}, verify.ErrInvalidScheme},
		{"basic without colon", func() error {
			_, err := verify.NewBasic(verify.Basic{Keys: []verify.Key{{Secret: []byte("nocolon")}}})
			return err
		}, verify.ErrInvalidScheme},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.make(); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// TestIndependentVectors checks signatures made by Node's crypto and
// Python's hmac, exactly as the Pipes.bot document's examples compute them.
func TestIndependentVectors(t *testing.T) {
	for _, file := range cases.VectorFiles {
		vectors, err := cases.ReadVectors(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, vec := range vectors {
			t.Run(file+"/"+vec.Name, func(t *testing.T) {
				if got := verify.SignPipes([]byte(vec.Secret), vec.Body); got != vec.Signature {
					t.Fatalf("SignPipes disagrees with %s", file)
				}
				tc := cases.Case{Header: []verify.Field{{Name: "x-pipes-signature", Value: vec.Signature}}, Body: vec.Body}
				if _, err := run(pipes(t, []byte(vec.Secret)), tc, "example.test", verify.DefaultMaxBodyBytes); err != nil {
					t.Fatalf("Verify: %v", err)
				}
			})
		}
	}
}

// TestVectorsAreCurrent reruns the committed signers, where Node and Python
// are installed, and checks the committed vectors are what they print.
func TestVectorsAreCurrent(t *testing.T) {
	dir := cases.TestdataDir()
	for _, gen := range []struct{ tool, script, out string }{
		{"node", "sign.js", "vectors.node.json"},
		{"python3", "sign.py", "vectors.python.json"},
	} {
		t.Run(gen.tool, func(t *testing.T) {
			if _, err := exec.LookPath(gen.tool); err != nil {
				t.Skipf("%s not installed; the committed %s is still checked by TestIndependentVectors", gen.tool, gen.out)
			}
			got, err := exec.Command(gen.tool, filepath.Join(dir, gen.script)).Output()
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(dir, gen.out))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s is stale: run `cd testdata/pipes && %s %s > %s`", gen.out, gen.tool, gen.script, gen.out)
			}
		})
	}
}

func FuzzPipesVerify(f *testing.F) {
	f.Add([]byte("secret"), []byte(`{"a":1}`), "")
	f.Fuzz(func(t *testing.T, secret, body []byte, sig string) {
		if len(secret) == 0 {
			return
		}
		s := pipes(t, secret)
		signed := cases.Case{Header: []verify.Field{{Name: "x-pipes-signature", Value: verify.SignPipes(secret, body)}}, Body: body}
		if _, err := run(s, signed, "h", 1<<20); err != nil && len(body) <= 1<<20 {
			t.Fatalf("Verify(Sign(x)) = %v", err)
		}
		forged := cases.Case{Header: []verify.Field{{Name: "x-pipes-signature", Value: sig}}, Body: body}
		if _, err := run(s, forged, "h", 1<<20); err == nil && sig != verify.SignPipes(secret, body) {
			if !bytes.EqualFold([]byte(sig), []byte(verify.SignPipes(secret, body))) {
				t.Fatalf("accepted a signature that is not the body's")
			}
		}
	})
}

// TestSecretIsCopied checks a scheme keeps its own copy of each secret:
// a caller reusing its buffer changes nothing.
func TestSecretIsCopied(t *testing.T) {
	secret := append([]byte(nil), testSecret...)
	fromPreset := preset(t, "pipes", verify.Key{ID: "k", Secret: secret})
	generic, err := verify.NewHMAC(verify.HMAC{SignatureHeaders: []string{"x-pipes-signature"}, Keys: []verify.Key{{ID: "k", Secret: secret}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range secret {
		secret[i] = 'x'
	}
	body := []byte("b")
	req := &verify.Request{Method: "POST", Header: []verify.Field{{Name: "x-pipes-signature", Value: verify.SignPipes(testSecret, body)}}}
	for name, s := range map[string]verify.Scheme{"Preset": fromPreset, "NewHMAC": generic} {
		if _, err := verify.Verify(s, req, body, zeroTime); err != nil {
			t.Errorf("%s saw the caller's change to the secret: %v", name, err)
		}
	}
}

// TestReleasedChecksGiveTheSameVerdicts runs the Pipes table and every
// provider vector's cases twice: once with fresh checks, once with each
// check released and recycled into the next, in an order that mixes
// schemes and key counts. Every verdict must be the same: nothing of one
// request survives into the next.
func TestReleasedChecksGiveTheSameVerdicts(t *testing.T) {
	type item struct {
		s         verify.Scheme
		tc        cases.Case
		authority string
	}
	var items []item
	ps := pipes(t, testSecret)
	for _, tc := range cases.Pipes(testSecret, testMaxBody) {
		items = append(items, item{ps, tc, "h"})
	}
	f, err := cases.ReadProviders()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range f.Vectors {
		s := preset(t, v.Preset, verify.Key{ID: "other", Secret: []byte(cases.OtherKey(v.Preset, "other"))}, verify.Key{ID: "k", Secret: []byte(v.Secret)})
		for _, tc := range cases.ProviderCases(f) {
			if strings.SplitN(tc.Name, "/", 2)[0] == v.Name {
				items = append(items, item{s, tc, v.Authority()})
			}
		}
	}
	type verdict struct {
		key string
		err error
	}
	fresh := make([]verdict, len(items))
	for i, it := range items {
		fresh[i].key, fresh[i].err = run(it.s, it.tc, it.authority, verify.DefaultMaxBodyBytes)
	}
	// Every third, then every other, then the rest: neighbours differ.
	for _, stride := range []int{3, 2, 1} {
		for i := 0; i < len(items); i += stride {
			it := items[i]
			key, err := runReleased(it.s, it.tc, it.authority)
			if key != fresh[i].key || fmt.Sprint(err) != fmt.Sprint(fresh[i].err) {
				t.Fatalf("%v: recycled check gave %q, %v; fresh %q, %v", it.tc, key, err, fresh[i].key, fresh[i].err)
			}
		}
	}
}

// runReleased is run, handing the check back whatever the outcome.
func runReleased(s verify.Scheme, tc cases.Case, authority string) (string, error) {
	c, err := s.Begin(tc.Request(authority), tc.Now)
	if err != nil {
		return "", err
	}
	c = verify.Limit(c, verify.DefaultMaxBodyBytes)
	defer c.Release()
	if c.NeedsBody() {
		for _, chunk := range tc.SplitBody() {
			if _, err := c.Write(chunk); err != nil {
				return "", err
			}
		}
	}
	return c.Verify()
}
