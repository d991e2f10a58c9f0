#!/usr/bin/env bash
# Writes shopify.json, github-sha1.json and custom.json with `openssl dgst -hmac` (Shopify
# publishes no verification library for Python or Node beyond its app frameworks, GitHub's own
# library signs sha256 only, and custom schemes are whatever the user describes). Run from the
# repository root: bash tests/vectors/make_openssl_vectors.sh
# Every input is fixed, so the files come out byte-identical. It uses no Hookscope code.
set -euo pipefail
cd "$(dirname "$0")"

hmac() {  # hmac ALGORITHM SECRET ENCODING < message
    local raw
    raw=$(openssl dgst "-$1" -hmac "$2" -binary | od -An -v -tx1 | tr -d ' \n')
    if [ "$3" = hex ]; then printf '%s' "$raw"; else printf '%s' "$raw" | xxd -r -p | base64 -w0; fi
}
b64() { printf '%s' "$1" | base64 -w0; }
json() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

bodies=('{"id":820982911946154508,"email":"jon@example.com","total_price":"12.00"}'
        $'{"id": 1, "note": "spaced, with a newline"}\n'
        '{"title":"Grüße aus 東京 ✓"}'
        '{}')

{
    echo "["
    for i in "${!bodies[@]}"; do
        body=${bodies[$i]}
        secret="shpss_shopify_secret_$i"
        sig=$(printf '%s' "$body" | hmac sha256 "$secret" base64)
        [ "$i" -gt 0 ] && echo ","
        printf '{"name": "body %d", "secret": %s, "now": 1700000000, "body_b64": "%s",\n' \
            "$i" "$(json "$secret")" "$(b64 "$body")"
        printf ' "headers": [["X-Shopify-Topic", "orders/create"], ["X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd04%d"], ["X-Shopify-Hmac-Sha256", "%s"]]}' \
            "$i" "$sig"
    done
    echo
    echo "]"
} > shopify.json

{
    echo "["
    for i in "${!bodies[@]}"; do
        body=${bodies[$i]}
        secret="It's a Secret to Everybody $i"
        sig=$(printf '%s' "$body" | hmac sha1 "$secret" hex)
        [ "$i" -gt 0 ] && echo ","
        printf '{"name": "legacy sha1, body %d", "secret": %s, "now": 1700000000, "body_b64": "%s",\n' \
            "$i" "$(json "$secret")" "$(b64 "$body")"
        printf ' "headers": [["X-GitHub-Event", "push"], ["X-GitHub-Delivery", "0f5a1e90-0000-4000-8000-00000000000%d"], ["X-Hub-Signature", "sha1=%s"]]}' \
            "$i" "$sig"
    done
    echo
    echo "]"
} > github-sha1.json

# Custom schemes: the description, the request, and the signature header made by openssl over
# the template filled in here by hand.
custom_case() {  # NAME HEADER PREFIX ALGORITHM ENCODING TEMPLATE TS_HEADER ID_HEADER MESSAGE BODY EXTRA_HEADERS
    local sig
    sig=$(printf '%s' "$9" | hmac "$4" "custom-secret-$1" "$5")
    printf '{"name": "%s", "secret": "custom-secret-%s", "now": 1700000000, "method": "POST", "path": "/hooks/%s",\n' "$1" "$1" "$1"
    printf ' "scheme": {"name": "%s", "header": "%s", "prefix": %s, "algorithm": "%s", "encoding": "%s", "signed": %s, "timestamp_header": %s, "id_header": %s},\n' \
        "$1" "$2" "$(json "$3")" "$4" "$5" "$(json "$6")" "$7" "$8"
    printf ' "body_b64": "%s", "headers": [%s["%s", "%s%s"]]}' "$(b64 "${10}")" "${11}" "$2" "$3" "$sig"
}
body='{"event":"thing.happened","id":42}'
{
    echo "["
    custom_case acme-hex X-Acme-Signature "" sha256 hex '{body}' null null "$body" "$body" ''
    echo ","
    custom_case acme-b64-sha512 X-Signature "sha512=" sha512 base64 '{body}' null null "$body" "$body" ''
    echo ","
    custom_case acme-sha1 X-Legacy-Sig "" sha1 hex '{body}' null null "$body" "$body" ''
    echo ","
    custom_case timed X-Timed-Signature "t1=" sha256 hex '{timestamp}.{body}' '"X-Timed-At"' null \
        "1700000000.$body" "$body" '["X-Timed-At", "1700000000"], '
    echo ","
    custom_case everything X-Sig "v2:" sha256 base64 \
        $'{method} {path}\n{id}:{timestamp}:{header:X-Tenant}:{body}' '"X-Ts"' '"X-Id"' \
        "POST /hooks/everything
evt-9:1700000000:tenant-7:$body" "$body" '["X-Ts", "1700000000"], ["X-Id", "evt-9"], ["X-Tenant", "tenant-7"], '
    echo
    echo "]"
} > custom.json
python3 -m json.tool shopify.json > /dev/null
python3 -m json.tool github-sha1.json > /dev/null
python3 -m json.tool custom.json > /dev/null
