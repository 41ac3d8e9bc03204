#!/usr/bin/env bash
# What reaches amoCRM for genuine platform payloads (Tests/Fixtures and the shapes the
# platforms send): each is posted to `amosync serve` as its webhook would be, the queue drains
# into the fake amoCRM, and the leads, contacts and notes are printed. Not a speed figure: run it
# with AMOSYNC_BIN=PATH to see what an earlier build made of the same payloads.
source "$(dirname "$0")/common.sh"
FIX="$PWD/Tests/Fixtures"
start_fake 0
PORT=18090
cat >"$WORK/p.json" <<JSON
{
  "server": { "host": "127.0.0.1", "port": $PORT },
  "database": { "path": "$WORK/p.sqlite3" },
  "amocrm": { "subdomain": "bench", "base_url": "http://127.0.0.1:$FAKE_PORT", "long_lived_token": "$TOKEN" },
  "intake": { "tokens": ["bench-intake-token-0123456789"] },
  "contacts": { "default_country_code": "7" },
  "orders": { "pipeline_id": 3177727, "status_id": 32392159, "lead_fields": { "goods": "Товары" } },
  "sources": {
    "woo": { "type": "woocommerce", "secret": "wc-secret" },
    "shop": { "type": "shopify", "secret": "shpss" },
    "tilda": { "type": "tilda", "form": "tilda" }
  },
  "forms": { "tilda": { "contact": { "name": "Name", "phone": "Phone", "email": "Email" } } }
}
JSON
"$BIN" serve --config "$WORK/p.json" --log-level warning >"$WORK/p.log" 2>&1 &
PIDS+=($!)
wait_http $PORT
sign() { python3 -c 'import base64,hashlib,hmac,sys; print(base64.b64encode(hmac.new(sys.argv[1].encode(), open(sys.argv[2],"rb").read(), hashlib.sha256).digest()).decode())' "$1" "$2"; }
post() {  # post LABEL SOURCE FILE SIGNATURE_HEADER SECRET TOPIC_HEADER TOPIC
  local sig; sig=$(sign "$5" "$3")
  local answer; answer=$(curl -sS -o "$WORK/answer" -w '%{http_code}' -H 'Content-Type: application/json' -H "$4: $sig" -H "$6: $7" \
    --data-binary "@$3" "http://127.0.0.1:$PORT/v1/hooks/$2")
  printf '| %s | %s | %s |\n' "$1" "$answer" "$(head -c 160 "$WORK/answer" | tr -d '\n')"
}
printf '{"id":4567}' >"$WORK/deleted.json"
printf '%s' '{"id":5940139491299,"order_number":1002,"email":"","phone":null,"customer":null,"source_name":"pos","currency":"USD","total_price":"19.99","line_items":[{"id":1,"product_id":632910392,"title":"Mug","sku":"M1","quantity":1,"price":"19.99"}]}' >"$WORK/pos.json"
echo "| payload | HTTP | answer |"
echo "|---|---|---|"
post "WooCommerce order 727 (fee, coupon, US phone)" woo "$FIX/woocommerce/order-727-fee-coupon.json" X-WC-Webhook-Signature wc-secret X-WC-Webhook-Topic order.created
post "WooCommerce order.deleted" woo "$WORK/deleted.json" X-WC-Webhook-Signature wc-secret X-WC-Webhook-Topic order.deleted
post "Shopify order #1001 (discount code, gateway, note attributes)" shop "$FIX/shopify/order-1001.json" X-Shopify-Hmac-Sha256 shpss X-Shopify-Topic orders/create
post "Shopify POS order without a customer" shop "$WORK/pos.json" X-Shopify-Hmac-Sha256 shpss X-Shopify-Topic orders/create
cart='Name=Anna&Phone=%2B7+912+555-01-02&payment%5Borderid%5D=1234567890&payment%5Bamount%5D=1450&payment%5Bproducts%5D%5B0%5D%5Bname%5D=Mug&payment%5Bproducts%5D%5B0%5D%5Bprice%5D=725&payment%5Bproducts%5D%5B0%5D%5Bquantity%5D=2&payment%5Bproducts%5D%5B0%5D%5Bsku%5D=MUG-1&formid=form1&tranid=1%3A2'
printf '| Tilda cart | %s | %s |\n' "$(curl -sS -o "$WORK/answer" -w '%{http_code}' -H 'Content-Type: application/x-www-form-urlencoded' --data "$cart" "http://127.0.0.1:$PORT/v1/hooks/tilda")" "$(head -c 160 "$WORK/answer")"
for _ in $(seq 100); do
  left=$("$BIN" stats --json --config "$WORK/p.json" | python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"]; print(j.get("queued",0)+j.get("running",0))')
  [ "$left" = 0 ] && break; sleep 0.3
done
echo
curl -sS "http://127.0.0.1:$FAKE_PORT/__fake/state" | python3 -c '
import json, sys
state = json.load(sys.stdin)
contacts = {c["id"]: c for c in state.get("contacts", [])}
notes = {}
for n in state.get("notes", []): notes.setdefault(n["entity_id"], []).append(n["params"]["text"])
def phones(c):
    return [v["value"] for f in c.get("custom_fields_values") or [] if f.get("field_code") == "PHONE" for v in f["values"]]
for lead in state.get("leads", []):
    linked = [e["id"] for e in lead.get("_embedded", {}).get("contacts", [])]
    who = "; ".join(contacts[i]["name"] + " " + ",".join(phones(contacts[i])) for i in linked if i in contacts) or "(no contact)"
    print("### %s: price %s, contact %s" % (lead["name"], lead["price"], who))
    for text in notes.get(lead["id"], []): print("    " + text.replace("\n", "\n    "))
'
