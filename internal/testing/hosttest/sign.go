package hosttest

import (
	"net/http"
	"strings"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

// The host's tests run hookguard's module as a real subject and need
// requests it accepts; they sign them through the kit, so the generic
// host's packages never import the filter's.

// PipesHeader is where a Pipes.bot signature goes.
const PipesHeader = verify.PipesSignatureHeader

// SignPipes returns body's Pipes.bot signature under secret.
func SignPipes(secret, body []byte) string { return verify.SignPipes(secret, body) }

// SignHTTP signs req, whose body is body, as preset's sender would under
// secret at now: it adds the headers the preset sends, computed over
// req's method, path and headers as they are.
func SignHTTP(preset, secret string, req *http.Request, body []byte, now time.Time) error {
	vr := &verify.Request{Method: req.Method, Path: req.URL.RequestURI(), Authority: req.Host}
	for name, values := range req.Header {
		for _, v := range values {
			vr.Header = append(vr.Header, verify.Field{Name: strings.ToLower(name), Value: v})
		}
	}
	signed, err := verify.Sign(preset, secret, vr, body, now)
	if err != nil {
		return err
	}
	for _, f := range signed {
		req.Header.Set(f.Name, f.Value)
	}
	return nil
}
