#!/usr/bin/env bash
# The post-deploy smoke test (npm run smoke) against `npm start`, as a deployment would be
# checked: starts the local stack on free ports, waits until it is up, runs every check including
# the whole loop (the mail read from the local SES), checks that a wrong key fails it with the
# right hint, and stops the local stack (DynamoDB Local included) on every exit path.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

work_dir="$(mktemp -d)"
start_pid=""

stop_local_stack() {
  if [ -n "$start_pid" ] && kill -0 "$start_pid" 2>/dev/null; then
    # npm start runs in its own process group (setsid): npm, tsx and node get SIGTERM, and node
    # stops DynamoDB Local and the local SES before it exits.
    kill -TERM -- "-$start_pid" 2>/dev/null || true
    for _ in $(seq 1 75); do
      kill -0 "$start_pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$start_pid" 2>/dev/null || true
  fi
  rm -rf "$work_dir"
}
trap stop_local_stack EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "ci smoke: $*" >&2
  echo "--- npm start stdout ---" >&2
  cat "$work_dir/start.out" >&2 || true
  echo "--- npm start stderr (last 40 lines) ---" >&2
  tail -n 40 "$work_dir/start.err" >&2 || true
  exit 1
}

# Port 0: free ports for the API, the local SES and DynamoDB Local; the banner tells which.
PORT=0 SES_PORT=0 DYNAMODB_PORT=0 setsid npm start >"$work_dir/start.out" 2>"$work_dir/start.err" </dev/null &
start_pid=$!

banner_value() {
  sed -n "s/^ *$1 *//p" "$work_dir/start.out" | head -n 1
}
for _ in $(seq 1 600); do
  [ -n "$(banner_value 'API (API Gateway -> Lambda)')" ] && break
  kill -0 "$start_pid" 2>/dev/null || fail "npm start exited before it was ready"
  sleep 0.2
done
api_url="$(banner_value 'API (API Gateway -> Lambda)')"
[ -n "$api_url" ] || fail "npm start was not ready within 120 s"
inbox_url="$(banner_value 'Inbox viewer (local SES)')"
key_id="$(banner_value 'RPC AccessKeyId')"
key_secret="$(banner_value 'RPC AccessKeySecret')"
echo "ci smoke: npm start is up at $api_url (inbox $inbox_url)"

npm run --silent smoke -- --url "$api_url" --rpc-key-id "$key_id" --rpc-key-secret "$key_secret" \
  --send-to "ci-smoke-$(date +%s)-$RANDOM@example.com" --inbox "$inbox_url" ||
  fail "the smoke test failed against npm start"

# And it must fail, saying why, when the key is wrong.
if npm run --silent smoke -- --url "$api_url" --rpc-key-id "$key_id" --rpc-key-secret "not-the-secret" >"$work_dir/wrong-key.out" 2>&1; then
  cat "$work_dir/wrong-key.out" >&2
  fail "the smoke test passed with a wrong key secret"
fi
grep -q 'likely: wrong --rpc-key-secret' "$work_dir/wrong-key.out" || {
  cat "$work_dir/wrong-key.out" >&2
  fail "the smoke test failed with a wrong key, but without saying the secret is wrong"
}
echo "ci smoke: passes against npm start, and fails with a wrong key saying so"
