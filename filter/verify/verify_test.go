package verify_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/pipescases"
)

var testSecret = []byte("test-secret-0123456789abcdef0123456789")

const testMaxBody = 64 << 10

// TestPipesCases runs the shared request table against the pure-Go core,
// streaming each body in the case's chunks as the filter would.
func TestPipesCases(t *testing.T) {
	v, err := verify.NewPipes(testMaxBody, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range pipescases.Cases(testSecret, testMaxBody) {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			err := stream(v, tc)
			if !errors.Is(err, tc.WantErr) || (tc.WantErr == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tc.WantErr)
			}
			// The one-shot form must agree with the streaming form.
			if err2 := v.Verify(tc.Signatures, tc.Body); !errors.Is(err2, tc.WantErr) || (tc.WantErr == nil && err2 != nil) {
				t.Fatalf("Verify: got %v, want %v", err2, tc.WantErr)
			}
		})
	}
}

func stream(v *verify.Pipes, tc pipescases.Case) error {
	c, err := v.Begin(tc.Signatures)
	if err != nil {
		return err
	}
	for _, chunk := range tc.SplitBody() {
		if _, err := c.Write(chunk); err != nil {
			return err
		}
	}
	return c.Verify()
}

func TestBodyCapDecidedWhenCrossed(t *testing.T) {
	v, _ := verify.NewPipes(10, testSecret)
	c, err := v.Begin([]string{verify.SignPipes(testSecret, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(make([]byte, 10)); err != nil {
		t.Fatalf("write up to the cap: %v", err)
	}
	if _, err := c.Write([]byte{0}); !errors.Is(err, verify.ErrBodyTooLarge) {
		t.Fatalf("write past the cap: got %v, want ErrBodyTooLarge", err)
	}
	if err := c.Verify(); !errors.Is(err, verify.ErrBodyTooLarge) {
		t.Fatalf("Verify after the cap: got %v, want ErrBodyTooLarge", err)
	}
}

func TestNewPipesRefusesBadInput(t *testing.T) {
	tests := []struct {
		name    string
		max     int64
		secrets [][]byte
		want    error
	}{
		{"no secret", 1, nil, verify.ErrEmptySecret},
		{"empty secret", 1, [][]byte{{}}, verify.ErrEmptySecret},
		{"one of two empty", 1, [][]byte{[]byte("a"), nil}, verify.ErrEmptySecret},
		{"zero cap", 0, [][]byte{[]byte("a")}, verify.ErrInvalidMaxBody},
		{"negative cap", -1, [][]byte{[]byte("a")}, verify.ErrInvalidMaxBody},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := verify.NewPipes(tc.max, tc.secrets...); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRotationAcceptsAnySecret(t *testing.T) {
	oldSecret, newSecret := []byte("old-secret"), []byte("new-secret")
	v, err := verify.NewPipes(1024, newSecret, oldSecret)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("payload")
	for _, s := range [][]byte{oldSecret, newSecret} {
		if err := v.Verify([]string{verify.SignPipes(s, body)}, body); err != nil {
			t.Fatalf("signature under %q rejected: %v", s, err)
		}
	}
	if err := v.Verify([]string{verify.SignPipes([]byte("third"), body)}, body); !errors.Is(err, verify.ErrSignatureMismatch) {
		t.Fatalf("third secret: got %v, want ErrSignatureMismatch", err)
	}
}

func TestSecretIsCopied(t *testing.T) {
	secret := []byte("mutable-secret")
	v, _ := verify.NewPipes(1024, secret)
	sig := verify.SignPipes(secret, []byte("b"))
	secret[0] = 'X'
	if err := v.Verify([]string{sig}, []byte("b")); err != nil {
		t.Fatalf("verifier changed when the caller's slice did: %v", err)
	}
}

// TestIndependentVectors checks signatures made by Node's crypto and
// Python's hmac, exactly as the Pipes.bot document's examples compute them.
func TestIndependentVectors(t *testing.T) {
	for _, file := range pipescases.VectorFiles {
		vectors, err := pipescases.ReadVectors(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, vec := range vectors {
			t.Run(file+"/"+vec.Name, func(t *testing.T) {
				if got := verify.SignPipes([]byte(vec.Secret), vec.Body); got != vec.Signature {
					t.Fatalf("SignPipes disagrees with %s", file)
				}
				v, err := verify.NewPipes(verify.DefaultMaxBodyBytes, []byte(vec.Secret))
				if err != nil {
					t.Fatal(err)
				}
				if err := v.Verify([]string{vec.Signature}, vec.Body); err != nil {
					t.Fatalf("Verify: %v", err)
				}
			})
		}
	}
}

// TestVectorsAreCurrent reruns the committed signers, where Node and Python
// are installed, and checks the committed vectors are what they print.
func TestVectorsAreCurrent(t *testing.T) {
	dir := pipescases.TestdataDir()
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
		v, err := verify.NewPipes(1<<20, secret)
		if err != nil {
			t.Fatal(err)
		}
		if len(body) <= 1<<20 {
			if err := v.Verify([]string{verify.SignPipes(secret, body)}, body); err != nil {
				t.Fatalf("Verify(Sign(x)) = %v", err)
			}
		}
		_ = v.Verify([]string{sig}, body) // must not panic
	})
}
