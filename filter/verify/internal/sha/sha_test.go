package sha_test

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	stdsha1 "crypto/sha1"
	stdsha256 "crypto/sha256"
	"encoding/hex"
	"hash"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	_ "embed"

	"github.com/hookguard/hookguard/filter/verify/internal/sha"
)

// TestFIPS180Examples checks the examples of FIPS 180-2 (appendices A and
// B) and the empty message, for SHA-1 and SHA-256.
func TestFIPS180Examples(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
		{strings.Repeat("a", 1000000), "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
	} {
		h := sha.New1()
		h.Write([]byte(tc.in))
		if got := hex.EncodeToString(h.Sum(nil)); got != tc.want {
			t.Errorf("SHA-1 of %d bytes = %s, want %s", len(tc.in), got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
		{strings.Repeat("a", 1000000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
	} {
		got := sha.Sum256([]byte(tc.in))
		if hex.EncodeToString(got[:]) != tc.want {
			t.Errorf("SHA-256 of %d bytes = %x, want %s", len(tc.in), got, tc.want)
		}
	}
}

var (
	//go:embed testdata/SHA256ShortMsg.rsp
	cavpShort256 string
	//go:embed testdata/SHA256LongMsg.rsp
	cavpLong256 string
	//go:embed testdata/SHA1ShortMsg.rsp
	cavpShort1 string
)

// TestCAVP checks NIST's CAVP byte-oriented vectors: every short message,
// 0 to 64 bytes, so every padding case of one and two blocks, for SHA-256
// and SHA-1, and long SHA-256 ones of three and five blocks; whole and in
// chunks of several sizes.
func TestCAVP(t *testing.T) {
	for _, tc := range []struct {
		name, rsp string
		count     int
		newHash   func() hash.Hash
	}{
		{"SHA256ShortMsg", cavpShort256, 65, sha.New256},
		{"SHA256LongMsg", cavpLong256, 2, sha.New256},
		{"SHA1ShortMsg", cavpShort1, 65, sha.New1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vectors := parseRSP(t, tc.rsp)
			if len(vectors) != tc.count {
				t.Fatalf("%d vectors, want %d", len(vectors), tc.count)
			}
			for _, v := range vectors {
				for _, chunk := range []int{1, 3, 55, 64, 65, len(v.msg) + 1} {
					h := tc.newHash()
					for rest := v.msg; len(rest) > 0; rest = rest[min(chunk, len(rest)):] {
						h.Write(rest[:min(chunk, len(rest))])
					}
					if got := h.Sum(nil); !bytes.Equal(got, v.md) {
						t.Errorf("%d bytes in chunks of %d = %x, want %x", len(v.msg), chunk, got, v.md)
					}
				}
			}
		})
	}
	// Sum256 is the one-shot form the module uses for keys.
	for _, v := range parseRSP(t, cavpShort256) {
		if got := sha.Sum256(v.msg); !bytes.Equal(got[:], v.md) {
			t.Errorf("Sum256 of %d bytes = %x, want %x", len(v.msg), got, v.md)
		}
	}
}

type cavpVector struct{ msg, md []byte }

// parseRSP reads the Len, Msg and MD lines of a CAVP response file; Msg
// holds Len bits (a zero Len comes with a placeholder byte).
func parseRSP(t *testing.T, rsp string) []cavpVector {
	t.Helper()
	var out []cavpVector
	var bits int
	var msg []byte
	sc := bufio.NewScanner(strings.NewReader(rsp))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), " = ")
		if !ok {
			continue
		}
		var err error
		switch key {
		case "Len":
			bits, err = strconv.Atoi(val)
		case "Msg":
			msg, err = hex.DecodeString(val)
			if err == nil && len(msg)*8 < bits {
				t.Fatalf("Msg of %d bytes for Len = %d", len(msg), bits)
			}
			msg = msg[:bits/8]
		case "MD":
			var md []byte
			md, err = hex.DecodeString(val)
			out = append(out, cavpVector{msg, md})
		}
		if err != nil {
			t.Fatalf("%s = %s: %v", key, val, err)
		}
	}
	return out
}

// ourMACs is HMAC under key both ways the module can compute it: through
// crypto/hmac with our hash, and with the precomputed key state of Keyed.
func ourMACs(newHash func() hash.Hash, key []byte) map[string]hash.Hash {
	return map[string]hash.Hash{"crypto/hmac": hmac.New(newHash, key), "Keyed": sha.NewKeyed(newHash, key).New()}
}

// TestRFC4231 checks HMAC-SHA256 through crypto/hmac with this hash, on
// RFC 4231's test cases 1–4, 6 and 7 (5 truncates the output).
func TestRFC4231(t *testing.T) {
	rep := func(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }
	for i, tc := range []struct {
		key, data []byte
		want      string
	}{
		{rep(0x0b, 20), []byte("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
		{[]byte("Jefe"), []byte("what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{rep(0xaa, 20), rep(0xdd, 50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
		{mustHex("0102030405060708090a0b0c0d0e0f10111213141516171819"), rep(0xcd, 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
		{rep(0xaa, 131), []byte("Test Using Larger Than Block-Size Key - Hash Key First"), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
		{rep(0xaa, 131), []byte("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
	} {
		for name, m := range ourMACs(sha.New256, tc.key) {
			m.Write(tc.data)
			if got := hex.EncodeToString(m.Sum(nil)); got != tc.want {
				t.Errorf("case %d, %s: %s, want %s", i, name, got, tc.want)
			}
		}
	}
}

// TestRFC2202 checks HMAC-SHA1 through crypto/hmac with this hash, on
// RFC 2202's test cases 1–4, 6 and 7 (5 truncates the output).
func TestRFC2202(t *testing.T) {
	rep := func(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }
	for i, tc := range []struct {
		key, data []byte
		want      string
	}{
		{rep(0x0b, 20), []byte("Hi There"), "b617318655057264e28bc0b6fb378c8ef146be00"},
		{[]byte("Jefe"), []byte("what do ya want for nothing?"), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
		{rep(0xaa, 20), rep(0xdd, 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
		{mustHex("0102030405060708090a0b0c0d0e0f10111213141516171819"), rep(0xcd, 50), "4c9007f4026250c6bc8414f9bf50c86c2d7235da"},
		{rep(0xaa, 80), []byte("Test Using Larger Than Block-Size Key - Hash Key First"), "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
		{rep(0xaa, 80), []byte("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"), "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"},
	} {
		for name, m := range ourMACs(sha.New1, tc.key) {
			m.Write(tc.data)
			if got := hex.EncodeToString(m.Sum(nil)); got != tc.want {
				t.Errorf("case %d, %s: %s, want %s", i, name, got, tc.want)
			}
		}
	}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// write feeds data to h in the chunks sizes says (the rest in one).
func write(h interface{ Write([]byte) (int, error) }, data []byte, sizes []int) {
	for _, n := range sizes {
		n = min(n, len(data))
		h.Write(data[:n])
		data = data[n:]
	}
	h.Write(data)
}

// hashes pairs each hash with the standard library's.
var hashes = []struct {
	name         string
	ours, theirs func() hash.Hash
}{
	{"SHA-256", sha.New256, stdsha256.New},
	{"SHA-1", sha.New1, stdsha1.New},
}

// TestAgainstStdlib compares every length up to 4 KiB, in random
// chunkings, with the standard library, and Sum leaving the state as is.
func TestAgainstStdlib(t *testing.T) {
	for _, hs := range hashes {
		t.Run(hs.name, func(t *testing.T) { againstStdlib(t, hs.ours, hs.theirs) })
	}
}

func againstStdlib(t *testing.T, newOurs, newTheirs func() hash.Hash) {
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 4096)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	for n := 0; n <= len(data); n += 1 + n/64 {
		var sizes []int
		for k := 0; k < 4; k++ {
			sizes = append(sizes, r.IntN(130))
		}
		ours, theirs := newOurs(), newTheirs()
		write(ours, data[:n], sizes)
		theirs.Write(data[:n])
		if a, b := ours.Sum(nil), theirs.Sum(nil); !bytes.Equal(a, b) {
			t.Fatalf("%d bytes in chunks %v: %x, want %x", n, sizes, a, b)
		}
		ours.Write([]byte("more"))
		theirs.Write([]byte("more"))
		if a, b := ours.Sum(nil), theirs.Sum(nil); !bytes.Equal(a, b) {
			t.Fatalf("%d bytes, then more after a Sum: %x, want %x", n, a, b)
		}
	}
}

// TestKeyedAgainstStdlib compares Keyed with crypto/hmac for keys of
// every length around the block size (longer ones are hashed first), in
// random chunkings, and after Sum and Reset.
func TestKeyedAgainstStdlib(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, 700)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	for _, hs := range hashes {
		if sha.NewKeyed(hs.theirs, nil) != nil {
			t.Fatalf("NewKeyed accepted the standard library's %s", hs.name)
		}
		for klen := 0; klen <= 2*sha.BlockSize+1; klen++ {
			key := data[:klen]
			n := r.IntN(len(data))
			k := sha.NewKeyed(hs.ours, key)
			m := k.New()
			write(m, data[:n], []int{r.IntN(70), r.IntN(70)})
			want := hmac.New(hs.theirs, key)
			want.Write(data[:n])
			if a, b := m.Sum(nil), want.Sum(nil); !bytes.Equal(a, b) {
				t.Fatalf("%s key %d bytes, %d bytes: %x, want %x", hs.name, klen, n, a, b)
			}
			m.Write([]byte("more"))
			want.Write([]byte("more"))
			if a, b := m.Sum(nil), want.Sum(nil); !bytes.Equal(a, b) {
				t.Fatalf("%s key %d bytes: more after a Sum: %x, want %x", hs.name, klen, a, b)
			}
			m.Reset()
			want.Reset()
			if a, b := m.Sum(nil), want.Sum(nil); !bytes.Equal(a, b) || m.Size() != want.Size() || m.BlockSize() != want.BlockSize() {
				t.Fatalf("%s key %d bytes: after Reset: %x, want %x", hs.name, klen, a, b)
			}
			if a, b := k.New().Sum(nil), want.Sum(nil); !bytes.Equal(a, b) {
				t.Fatalf("%s key %d bytes: a second MAC from the same key differs", hs.name, klen)
			}
		}
	}
}

// FuzzAgainstStdlib compares arbitrary data and chunking with
// crypto/sha256 and crypto/hmac.
func FuzzAgainstStdlib(f *testing.F) {
	f.Add([]byte("key"), []byte("abc"), uint8(1), uint8(63))
	f.Fuzz(func(t *testing.T, key, data []byte, c1, c2 uint8) {
		for _, hs := range hashes {
			ours, theirs := hs.ours(), hs.theirs()
			write(ours, data, []int{int(c1), int(c2)})
			theirs.Write(data)
			if !bytes.Equal(ours.Sum(nil), theirs.Sum(nil)) {
				t.Fatalf("%s differs from the standard library", hs.name)
			}
			want := hmac.New(hs.theirs, key)
			want.Write(data)
			for name, m := range ourMACs(hs.ours, key) {
				write(m, data, []int{int(c2), int(c1)})
				if !bytes.Equal(m.Sum(nil), want.Sum(nil)) {
					t.Fatalf("HMAC-%s (%s) differs from crypto/hmac", hs.name, name)
				}
			}
		}
	})
}

// TestGeneratedCodeIsCurrent reruns gen.go and compares what it writes.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command here (as inside WebAssembly); the block functions are still tested")
	}
	dir := t.TempDir()
	src, _ := os.ReadFile("gen.go")
	if err := os.WriteFile(dir+"/gen.go", src, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", "gen.go")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen.go: %v\n%s", err, out)
	}
	for _, name := range []string{"block256.go", "block256_wasm.s", "block1.go"} {
		want, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(dir + "/" + name); !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./filter/verify/internal/sha", name)
		}
	}
}

// BenchmarkHMAC is HMAC-SHA256 with a precomputed key over messages of
// the sizes make bench reports; run natively it is the standard library's
// reference point, and compiled to wasip1 the module's own code.
func BenchmarkHMAC(b *testing.B) {
	for _, size := range []int{1 << 10, 64 << 10, 1 << 20} {
		msg := make([]byte, size)
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			for name, newMAC := range map[string]func() hash.Hash{
				"ours":   sha.NewKeyed(sha.New256, []byte("key")).New,
				"stdlib": func() hash.Hash { return hmac.New(stdsha256.New, []byte("key")) },
			} {
				b.Run(name, func(b *testing.B) {
					b.SetBytes(int64(size))
					var sum [32]byte
					for b.Loop() {
						m := newMAC()
						m.Write(msg)
						m.Sum(sum[:0])
					}
				})
			}
		})
	}
}
