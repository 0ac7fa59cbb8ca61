;; callout_probe: a stream that waits on a proxy_http_call or a tick, the
;; way the Go SDK's http_auth_random example and Higress modules do: the
;; request (or response) headers callback calls out and returns Pause; the
;; root context's proxy_on_http_call_response switches to the stream with
;; proxy_set_effective_context and answers or resumes it from there.
;;
;; Hand-written (not by gen.py); compile with
;;   wat2wasm callout_probe.wat -o callout_probe.wasm
;; TestHandWrittenFixturesAreCurrent checks the committed .wasm.
;;
;; The first character of the request path picks the behaviour:
;;   l  call out, pause; from the response: a local 403 whose body is the
;;      callout's body, or 504 "callout failed" when it failed (no headers)
;;   g  as l, with a 200 ms call timeout
;;   c  call out, pause; from the response: add request header
;;      x-callout: resumed, continue the request
;;   i  call out, pause; from the response: nothing
;;   x  call out, pause; from the response: continue the request
;;   t  call out, pause; the response traps
;;   a  call out, then answer 403 "answered" at once
;;   k  pause, start a 10 ms tick; the tick continues the request and
;;      stops itself
;;   p  pause, nothing else
;;   r  request continues; response headers call out and pause; from the
;;      response: add response header x-callout: resumed, continue it
;;   o  request continues; proxy_on_log calls out (an access log shipped),
;;      and the response finds the stream gone
;; A non-empty plugin configuration makes the root context call out once,
;; for itself, from proxy_on_configure.
;; Counters: callout.responses (every proxy_on_http_call_response),
;; callout.root (those for the root's own call), callout.orphans (those
;; whose stream proxy_set_effective_context no longer found).
(module
  (import "env" "proxy_get_header_map_value" (func $get_hdr (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add_hdr (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_http_call" (func $http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $set_ctx (param i32) (result i32)))
  (import "env" "proxy_continue_stream" (func $continue (param i32) (result i32)))
  (import "env" "proxy_send_local_response" (func $local (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func $tick (param i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $get_buf (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_define_metric" (func $define (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_increment_metric" (func $incr (param i32 i64) (result i32)))
  (memory (export "memory") 1)

  ;; Fixed addresses: 16-511 strings; 1024 and 1028 returned pointer and
  ;; size; 1032 returned token; 1100 metric ids; 2048 one mode byte per
  ;; context id (mod 1024); 3072 the context id per token (mod 256); the
  ;; heap from 8192.
  (data (i32.const 16) "up")
  ;; the call's headers, serialized: :method GET, :path /check,
  ;; :authority auth.test (74 bytes)
  (data (i32.const 32) "\03\00\00\00\07\00\00\00\03\00\00\00\05\00\00\00\06\00\00\00\0a\00\00\00\09\00\00\00:method\00GET\00:path\00/check\00:authority\00auth.test\00")
  (data (i32.const 128) ":path")
  (data (i32.const 144) "x-callout")
  (data (i32.const 160) "resumed")
  (data (i32.const 176) "callout_denied")
  (data (i32.const 192) "callout_failed")
  (data (i32.const 208) "callout failed")
  (data (i32.const 224) "answered")
  (data (i32.const 240) "callout.responses")
  (data (i32.const 264) "callout.root")
  (data (i32.const 280) "callout.orphans")

  (global $heap (mut i32) (i32.const 8192))
  (global $tick_ctx (mut i32) (i32.const 0))

  ;; Bump allocator: never frees, grows memory as needed.
  (func $alloc (param $size i32) (result i32) (local $p i32) (local $end i32)
    (local.set $p (global.get $heap))
    (local.set $end (i32.and (i32.add (i32.add (local.get $p) (local.get $size)) (i32.const 7)) (i32.const -8)))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then (if (i32.lt_s (memory.grow (i32.add (i32.shr_u (i32.sub (local.get $end) (i32.mul (memory.size) (i32.const 65536))) (i32.const 16)) (i32.const 1))) (i32.const 0))
        (then (return (i32.const 0))))))
    (global.set $heap (local.get $end))
    (local.get $p))
  (export "proxy_on_memory_allocate" (func $alloc))

  (func (export "_initialize"))
  (func (export "proxy_abi_version_0_2_0"))

  (func $mode_at (param $ctx i32) (result i32)
    (i32.add (i32.const 2048) (i32.and (local.get $ctx) (i32.const 1023))))
  (func $mode (param $ctx i32) (result i32)
    (i32.load8_u (call $mode_at (local.get $ctx))))
  (func $count (param $metric i32)
    (drop (call $incr (i32.load (i32.add (i32.const 1100) (i32.shl (local.get $metric) (i32.const 2)))) (i64.const 1))))

  ;; call_out calls cluster "up" for context $ctx (0: the root) and
  ;; remembers the context under the token.
  (func $call_out (param $ctx i32) (param $timeout_ms i32)
    (if (i32.eqz (call $http_call (i32.const 16) (i32.const 2) (i32.const 32) (i32.const 74)
                   (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (local.get $timeout_ms) (i32.const 1032)))
      (then (i32.store (i32.add (i32.const 3072) (i32.shl (i32.and (i32.load (i32.const 1032)) (i32.const 255)) (i32.const 2)))
              (local.get $ctx)))))

  ;; waits_on_call: the modes that call out for 5 s and pause.
  (func $waits_on_call (param $m i32) (result i32)
    (i32.or (i32.or (i32.or (i32.eq (local.get $m) (i32.const 108)) (i32.eq (local.get $m) (i32.const 99)))
                    (i32.or (i32.eq (local.get $m) (i32.const 105)) (i32.eq (local.get $m) (i32.const 120))))
            (i32.eq (local.get $m) (i32.const 116))))

  (func (export "proxy_on_context_create") (param $ctx i32) (param $parent i32)
    (i32.store8 (call $mode_at (local.get $ctx)) (i32.const 0)))

  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32)
    (drop (call $define (i32.const 0) (i32.const 240) (i32.const 17) (i32.const 1100)))
    (drop (call $define (i32.const 0) (i32.const 264) (i32.const 12) (i32.const 1104)))
    (drop (call $define (i32.const 0) (i32.const 280) (i32.const 15) (i32.const 1108)))
    (i32.const 1))

  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    (if (local.get $size) (then (call $call_out (i32.const 0) (i32.const 5000))))
    (i32.const 1))

  (func (export "proxy_on_request_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32) (local $m i32)
    (if (i32.eqz (call $get_hdr (i32.const 0) (i32.const 128) (i32.const 5) (i32.const 1024) (i32.const 1028)))
      (then (if (i32.ge_u (i32.load (i32.const 1028)) (i32.const 2))
        (then (i32.store8 (call $mode_at (local.get $ctx))
                (i32.load8_u (i32.add (i32.load (i32.const 1024)) (i32.const 1))))))))
    (local.set $m (call $mode (local.get $ctx)))
    ;; g: a 200 ms call
    (if (i32.eq (local.get $m) (i32.const 103)) (then
      (call $call_out (local.get $ctx) (i32.const 200))
      (return (i32.const 1))))
    ;; l, c, i, x, t: a 5 s call
    (if (call $waits_on_call (local.get $m)) (then
      (call $call_out (local.get $ctx) (i32.const 5000))
      (return (i32.const 1))))
    ;; a: call out, then answer at once
    (if (i32.eq (local.get $m) (i32.const 97)) (then
      (call $call_out (local.get $ctx) (i32.const 5000))
      (drop (call $local (i32.const 403) (i32.const 224) (i32.const 8) (i32.const 224) (i32.const 8) (i32.const 0) (i32.const 0) (i32.const -1)))
      (return (i32.const 1))))
    ;; k: the tick resumes it
    (if (i32.eq (local.get $m) (i32.const 107)) (then
      (global.set $tick_ctx (local.get $ctx))
      (drop (call $tick (i32.const 10)))
      (return (i32.const 1))))
    ;; p: nothing will
    (if (i32.eq (local.get $m) (i32.const 112)) (then (return (i32.const 1))))
    (i32.const 0))

  (func (export "proxy_on_request_body") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
    (i32.const 0))

  (func (export "proxy_on_response_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    ;; r: call out from the response direction
    (if (i32.eq (call $mode (local.get $ctx)) (i32.const 114)) (then
      (call $call_out (local.get $ctx) (i32.const 5000))
      (return (i32.const 1))))
    (i32.const 0))

  (func (export "proxy_on_response_body") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
    (i32.const 0))

  (func (export "proxy_on_http_call_response") (param $root i32) (param $token i32) (param $headers i32) (param $body i32) (param $trailers i32)
    (local $ctx i32) (local $m i32)
    (call $count (i32.const 0))
    (local.set $ctx (i32.load (i32.add (i32.const 3072) (i32.shl (i32.and (local.get $token) (i32.const 255)) (i32.const 2)))))
    (if (i32.eqz (local.get $ctx)) (then
      (call $count (i32.const 1))
      (return)))
    (if (call $set_ctx (local.get $ctx)) (then
      (call $count (i32.const 2))
      (return)))
    (local.set $m (call $mode (local.get $ctx)))
    ;; t: trap
    (if (i32.eq (local.get $m) (i32.const 116)) (then (unreachable)))
    ;; l, g: answer, with the callout's body or its failure
    (if (i32.or (i32.eq (local.get $m) (i32.const 108)) (i32.eq (local.get $m) (i32.const 103))) (then
      (if (i32.eqz (local.get $headers)) (then
        (drop (call $local (i32.const 504) (i32.const 192) (i32.const 14) (i32.const 208) (i32.const 14) (i32.const 0) (i32.const 0) (i32.const -1)))
        (return)))
      (drop (call $get_buf (i32.const 4) (i32.const 0) (local.get $body) (i32.const 1024) (i32.const 1028)))
      (drop (call $local (i32.const 403) (i32.const 176) (i32.const 14) (i32.load (i32.const 1024)) (i32.load (i32.const 1028)) (i32.const 0) (i32.const 0) (i32.const -1)))
      (return)))
    ;; c: mark the request, continue it
    (if (i32.eq (local.get $m) (i32.const 99)) (then
      (drop (call $add_hdr (i32.const 0) (i32.const 144) (i32.const 9) (i32.const 160) (i32.const 7)))
      (drop (call $continue (i32.const 0)))
      (return)))
    ;; r: mark the response, continue it
    (if (i32.eq (local.get $m) (i32.const 114)) (then
      (drop (call $add_hdr (i32.const 2) (i32.const 144) (i32.const 9) (i32.const 160) (i32.const 7)))
      (drop (call $continue (i32.const 1)))
      (return)))
    ;; x: continue the request
    (if (i32.eq (local.get $m) (i32.const 120)) (then
      (drop (call $continue (i32.const 0))))))

  ;; o: ship the access log from proxy_on_log
  (func (export "proxy_on_log") (param $ctx i32)
    (if (i32.eq (call $mode (local.get $ctx)) (i32.const 111)) (then
      (call $call_out (local.get $ctx) (i32.const 5000)))))

  (func (export "proxy_on_tick") (param $root i32)
    (if (global.get $tick_ctx) (then
      (drop (call $set_ctx (global.get $tick_ctx)))
      (drop (call $continue (i32.const 0)))
      (global.set $tick_ctx (i32.const 0))
      (drop (call $tick (i32.const 0))))))
)
