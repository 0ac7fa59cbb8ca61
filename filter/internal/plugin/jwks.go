package plugin

import (
	"errors"
	"strconv"
	"time"

	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/filter/internal/proxywasm"
	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/pairs"
)

// Remote JWK Sets (a jwt route's jwks_cluster) are fetched by each VM's
// root context with proxy_http_call, on its timer: at once after start,
// then every jwks_refresh_seconds, and every jwksRetry after a failure.
// Until the first fetch succeeds the route answers 503 jwks_unavailable;
// a failed refresh keeps the keys it has.

var errJWKSStatus = errors.New("not a 200")

const (
	jwksTick    = time.Second
	jwksRetry   = 10 * time.Second
	jwksTimeout = 5 * time.Second
)

// jwksFetch is one route's fetching state in this VM.
type jwksFetch struct {
	route *config.Route
	next  time.Time // when to fetch next; zero: now
	token uint32    // the call in flight, 0 when none
}

// startJWKS sets the timer when a route has a remote JWK Set.
func (r *Root) startJWKS() error {
	r.jwks = nil
	for i := range r.cfg.Routes {
		if rt := &r.cfg.Routes[i]; rt.RemoteJWKS != nil {
			r.jwks = append(r.jwks, &jwksFetch{route: rt})
		}
	}
	if len(r.jwks) == 0 {
		return nil
	}
	return proxywasm.SetTickPeriod(jwksTick)
}

// OnTick implements proxywasm.TickHandler: it fetches the JWK Sets due.
func (r *Root) OnTick() {
	now, err := proxywasm.Now()
	if err != nil {
		return
	}
	for _, f := range r.jwks {
		if f.token != 0 || now.Before(f.next) {
			continue
		}
		rj := f.route.RemoteJWKS
		token, err := proxywasm.HTTPCall(rj.Cluster, []pairs.Pair{{Key: ":method", Value: "GET"}, {Key: ":path", Value: rj.Path},
			{Key: ":authority", Value: rj.Authority}, {Key: "accept", Value: "application/json"}}, nil, jwksTimeout)
		if err != nil {
			logLine(proxywasm.LogError, "route "+f.route.Name+": cannot fetch the JWK Set from cluster "+rj.Cluster+": "+err.Error())
			f.next = now.Add(jwksRetry)
			continue
		}
		f.token = token
	}
}

// OnHTTPCallResponse implements proxywasm.HTTPCallResponseHandler: a JWK
// Set that parses replaces the route's keys.
func (r *Root) OnHTTPCallResponse(token uint32, numHeaders, bodySize int) {
	if r.keyFetchDone(token, numHeaders, bodySize) {
		return
	}
	var f *jwksFetch
	for _, c := range r.jwks {
		if c.token == token && token != 0 {
			f = c
		}
	}
	if f == nil {
		return
	}
	f.token = 0
	now, _ := proxywasm.Now()
	rj := f.route.RemoteJWKS
	status := calloutStatus(numHeaders)
	var keys []verify.JWK
	err := errJWKSStatus
	if status == 200 {
		var body []byte
		if body, err = calloutBody(bodySize); err == nil {
			keys, err = verify.ParseJWKS(body)
		}
	}
	if err != nil {
		f.next = now.Add(jwksRetry)
		why := err.Error()
		if err == errJWKSStatus {
			why = "status " + strconv.Itoa(status) + " (0: no response)"
		}
		logLine(proxywasm.LogWarn, "route "+f.route.Name+": JWK Set from cluster "+rj.Cluster+" not used: "+why+"; keeping the keys it has")
		return
	}
	rj.Keys.Set(keys)
	f.next = now.Add(rj.Refresh)
	logLine(proxywasm.LogDebug, "route "+f.route.Name+": JWK Set fetched: "+strconv.Itoa(len(keys))+" keys")
}

// calloutStatus is the :status of the HTTP call response being delivered,
// 0 when it has none (the call failed).
func calloutStatus(numHeaders int) int {
	status := 0
	if numHeaders > 0 {
		headers, err := proxywasm.GetHeaders(proxywasm.MapHTTPCallResponseHeaders)
		if err == nil {
			for _, h := range headers {
				if h.Key == ":status" {
					status, _ = strconv.Atoi(h.Value)
				}
			}
		}
	}
	return status
}

// calloutBody reads the body of the HTTP call response being delivered.
func calloutBody(bodySize int) ([]byte, error) {
	body := make([]byte, 0, bodySize)
	err := proxywasm.ReadBuffer(proxywasm.BufferHTTPCallResponse, 0, bodySize, func(b []byte) error {
		body = append(body, b...)
		return nil
	})
	return body, err
}
