;; abi010_probe: a module of proxy-wasm ABI 0.1.0, the ABI Istio's own
;; stats and metadata_exchange plugins and mosn's examples declare. It
;; exports proxy_abi_version_0_1_0, takes its headers callbacks in 0.1.0's
;; two-parameter form (context_id, num_headers), and uses the host calls
;; Envoy links only for 0.1.0: proxy_get_configuration,
;; proxy_continue_request, proxy_continue_response and
;; proxy_clear_route_cache.
;;
;; Hand-written (not by gen.py); compile with
;;   wat2wasm abi010_probe.wat -o abi010_probe.wasm
;; TestHandWrittenFixturesAreCurrent checks the committed .wasm.
;;
;; proxy_on_configure copies the plugin configuration with
;; proxy_get_configuration (and fails unless its size is the one
;; announced); every request gets it as header x-config. Every request
;; headers callback also records num_headers, reads the configuration again
;; (Envoy answers with the VM's there) and clears the route cache. Every
;; response headers callback adds x-abi: 0.1.0.
;;
;; The first character of the request path picks the behaviour:
;;   c  continue
;;   k  pause the request headers; a 10 ms tick adds request header
;;      x-resumed: tick and continues the request with
;;      proxy_continue_request, then stops itself
;;   b  pause the request headers and buffer the body; at its end the body
;;      callback adds x-resumed: body and continues the request with
;;      proxy_continue_request (needs the body callbacks to come while the
;;      headers are paused: allow_on_headers_stop_iteration)
;;   l  answer 403 "denied by 0.1.0", details abi010_denied, with header
;;      x-from: abi010
;;   r  request continues; the response headers pause, and a tick adds
;;      response header x-resumed: response and continues the response
;;      with proxy_continue_response
;; Metrics: abi010.num_headers and abi010.response_num_headers (gauges,
;; the last num_headers each headers callback got), abi010.vm_start_config
;; and abi010.stream_config (gauges, the size proxy_get_configuration gave
;; in proxy_on_vm_start and in the last request headers callback),
;; abi010.route_cache_cleared (counter, proxy_clear_route_cache answered
;; OK), abi010.continued (counter, proxy_continue_request or
;; proxy_continue_response answered OK).
(module
  (import "env" "proxy_get_configuration" (func $get_config (param i32 i32) (result i32)))
  (import "env" "proxy_continue_request" (func $continue_request (result i32)))
  (import "env" "proxy_continue_response" (func $continue_response (result i32)))
  (import "env" "proxy_clear_route_cache" (func $clear_route_cache (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get_hdr (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add_hdr (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_send_local_response" (func $local (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func $tick (param i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $set_ctx (param i32) (result i32)))
  (import "env" "proxy_define_metric" (func $define (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_increment_metric" (func $incr (param i32 i64) (result i32)))
  (import "env" "proxy_record_metric" (func $record (param i32 i64) (result i32)))
  (memory (export "memory") 1)

  ;; Fixed addresses: 16-511 strings; 1024 and 1028 returned pointer and
  ;; size; 1100 metric ids; 2048 one mode byte per context id (mod 1024);
  ;; the heap from 8192.
  (data (i32.const 16) ":path")
  (data (i32.const 32) "x-config")
  (data (i32.const 48) "x-resumed")
  (data (i32.const 64) "tick")
  (data (i32.const 80) "body")
  (data (i32.const 96) "x-abi")
  (data (i32.const 112) "0.1.0")
  (data (i32.const 128) "abi010_denied")
  (data (i32.const 144) "denied by 0.1.0")
  ;; the local response's headers, serialized: x-from abi010 (26 bytes)
  (data (i32.const 176) "\01\00\00\00\06\00\00\00\06\00\00\00x-from\00abi010\00")
  (data (i32.const 208) "response")
  (data (i32.const 224) "abi010.num_headers")
  (data (i32.const 256) "abi010.stream_config")
  (data (i32.const 288) "abi010.vm_start_config")
  (data (i32.const 320) "abi010.route_cache_cleared")
  (data (i32.const 352) "abi010.continued")
  (data (i32.const 384) "abi010.response_num_headers")

  (global $heap (mut i32) (i32.const 8192))
  (global $cfg_ptr (mut i32) (i32.const 0))
  (global $cfg_len (mut i32) (i32.const 0))
  (global $tick_ctx (mut i32) (i32.const 0))
  (global $tick_response (mut i32) (i32.const 0))

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
  (func (export "proxy_abi_version_0_1_0"))

  (func $mode_at (param $ctx i32) (result i32)
    (i32.add (i32.const 2048) (i32.and (local.get $ctx) (i32.const 1023))))
  (func $mode (param $ctx i32) (result i32)
    (i32.load8_u (call $mode_at (local.get $ctx))))
  (func $metric (param $i i32) (result i32)
    (i32.load (i32.add (i32.const 1100) (i32.shl (local.get $i) (i32.const 2)))))
  (func $gauge (param $i i32) (param $v i32)
    (drop (call $record (call $metric (local.get $i)) (i64.extend_i32_u (local.get $v)))))
  (func $count (param $i i32)
    (drop (call $incr (call $metric (local.get $i)) (i64.const 1))))

  (func (export "proxy_on_context_create") (param $ctx i32) (param $parent i32)
    (i32.store8 (call $mode_at (local.get $ctx)) (i32.const 0)))

  ;; Metrics: 0 num_headers, 1 stream_config, 2 vm_start_config (gauges),
  ;; 3 route_cache_cleared, 4 continued (counters), 5 response_num_headers.
  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32)
    (drop (call $define (i32.const 1) (i32.const 224) (i32.const 18) (i32.const 1100)))
    (drop (call $define (i32.const 1) (i32.const 256) (i32.const 20) (i32.const 1104)))
    (drop (call $define (i32.const 1) (i32.const 288) (i32.const 22) (i32.const 1108)))
    (drop (call $define (i32.const 0) (i32.const 320) (i32.const 26) (i32.const 1112)))
    (drop (call $define (i32.const 0) (i32.const 352) (i32.const 16) (i32.const 1116)))
    (drop (call $define (i32.const 1) (i32.const 384) (i32.const 27) (i32.const 1120)))
    ;; the VM configuration, as the spec says
    (if (i32.eqz (call $get_config (i32.const 1024) (i32.const 1028)))
      (then (call $gauge (i32.const 2) (i32.load (i32.const 1028)))))
    (i32.const 1))

  ;; The plugin configuration, kept for the requests: the size must be the
  ;; one announced, or the configuration is rejected.
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    (if (call $get_config (i32.const 1024) (i32.const 1028)) (then (return (i32.const 0))))
    (if (i32.ne (i32.load (i32.const 1028)) (local.get $size)) (then (return (i32.const 0))))
    (global.set $cfg_ptr (i32.load (i32.const 1024)))
    (global.set $cfg_len (i32.load (i32.const 1028)))
    (i32.const 1))

  ;; ABI 0.1.0: no end_of_stream.
  (func (export "proxy_on_request_headers") (param $ctx i32) (param $n i32) (result i32) (local $m i32)
    (call $gauge (i32.const 0) (local.get $n))
    (if (i32.eqz (call $get_hdr (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 1024) (i32.const 1028)))
      (then (if (i32.ge_u (i32.load (i32.const 1028)) (i32.const 2))
        (then (i32.store8 (call $mode_at (local.get $ctx))
                (i32.load8_u (i32.add (i32.load (i32.const 1024)) (i32.const 1))))))))
    (local.set $m (call $mode (local.get $ctx)))
    (if (i32.eqz (call $get_config (i32.const 1024) (i32.const 1028)))
      (then (call $gauge (i32.const 1) (i32.load (i32.const 1028)))))
    (if (i32.eqz (call $clear_route_cache)) (then (call $count (i32.const 3))))
    (drop (call $add_hdr (i32.const 0) (i32.const 32) (i32.const 8) (global.get $cfg_ptr) (global.get $cfg_len)))
    ;; l: answer
    (if (i32.eq (local.get $m) (i32.const 108)) (then
      (drop (call $local (i32.const 403) (i32.const 128) (i32.const 13) (i32.const 144) (i32.const 15) (i32.const 176) (i32.const 26) (i32.const -1)))
      (return (i32.const 1))))
    ;; k: the tick continues the request
    (if (i32.eq (local.get $m) (i32.const 107)) (then
      (global.set $tick_ctx (local.get $ctx))
      (global.set $tick_response (i32.const 0))
      (drop (call $tick (i32.const 10)))
      (return (i32.const 1))))
    ;; b: the body continues it
    (if (i32.eq (local.get $m) (i32.const 98)) (then (return (i32.const 1))))
    (i32.const 0))

  (func (export "proxy_on_request_body") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
    (if (i32.ne (call $mode (local.get $ctx)) (i32.const 98)) (then (return (i32.const 0))))
    ;; b: buffer to the end, then mark the request and continue it
    (if (local.get $eos) (then
      (drop (call $add_hdr (i32.const 0) (i32.const 48) (i32.const 9) (i32.const 80) (i32.const 4)))
      (if (i32.eqz (call $continue_request)) (then (call $count (i32.const 4))))))
    (i32.const 1))

  ;; ABI 0.1.0: no end_of_stream. Also called for the module's own local
  ;; response.
  (func (export "proxy_on_response_headers") (param $ctx i32) (param $n i32) (result i32)
    (call $gauge (i32.const 5) (local.get $n))
    (drop (call $add_hdr (i32.const 2) (i32.const 96) (i32.const 5) (i32.const 112) (i32.const 5)))
    ;; r: the tick continues the response
    (if (i32.eq (call $mode (local.get $ctx)) (i32.const 114)) (then
      (global.set $tick_ctx (local.get $ctx))
      (global.set $tick_response (i32.const 1))
      (drop (call $tick (i32.const 10)))
      (return (i32.const 1))))
    (i32.const 0))

  (func (export "proxy_on_response_body") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
    (i32.const 0))

  (func (export "proxy_on_tick") (param $root i32)
    (if (global.get $tick_ctx) (then
      (drop (call $set_ctx (global.get $tick_ctx)))
      (if (global.get $tick_response)
        (then
          (drop (call $add_hdr (i32.const 2) (i32.const 48) (i32.const 9) (i32.const 208) (i32.const 8)))
          (if (i32.eqz (call $continue_response)) (then (call $count (i32.const 4)))))
        (else
          (drop (call $add_hdr (i32.const 0) (i32.const 48) (i32.const 9) (i32.const 64) (i32.const 4)))
          (if (i32.eqz (call $continue_request)) (then (call $count (i32.const 4))))))
      (global.set $tick_ctx (i32.const 0))
      (drop (call $tick (i32.const 0))))))
)
