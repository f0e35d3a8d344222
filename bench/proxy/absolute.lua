-- wrk: send absolute-form requests, as Android's MMS client does through an APN proxy.
-- The target URL comes from the environment (TARGET=http://127.0.0.1:PORT/300k).
wrk.path = os.getenv("TARGET")
wrk.headers["Host"] = string.match(os.getenv("TARGET"), "//([^/]+)")
wrk.headers["User-Agent"] = "Android-Mms/2.0"
wrk.headers["Accept"] = "*/*, application/vnd.wap.mms-message, application/vnd.wap.sic"
wrk.headers["X-MSISDN"] = "31666666666"
