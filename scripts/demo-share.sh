#!/usr/bin/env bash
# The conditional share flow of README.md with curl, against a running system (npm start).
# Usage: bash scripts/demo-share.sh [base-url]
set -euo pipefail
API=${1:-http://localhost:3000}
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);const r=new Function("v","return "+process.argv[1])(v);console.log(typeof r==="string"?r:JSON.stringify(r))})' "$1"; }
tok() { curl -sf -X POST "$API/api/dev/tokens" -H 'content-type: application/json' -d "{\"login\":\"$1\"}" | json v.token; }
call() { local t=$1; shift; curl -sS -H "authorization: Bearer $t" -H 'content-type: application/json' "$@"; }
task_for() { # token step applicationNo → task id (waits for the workflow to create it)
  for _ in $(seq 1 50); do
    id=$(call "$1" "$API/api/inbox?step=$2&limit=100" | json "(v.items.find(t=>t.application&&t.application.applicationNo==='$3')||{}).id||''")
    [ -n "$id" ] && { echo "$id"; return; }
    sleep 0.2
  done
  echo "no $2 task for $3" >&2; exit 1
}
RSJ=$(tok rsj.staff); GAJ=$(tok gaj.reviewer); DSJ=$(tok dsj.reviewer)

NO=$(call "$RSJ" "$API/api/applications" -d "{\"idempotencyKey\":\"demo-$(date +%s%N)\",\"resourceCodes\":[\"GAJ-001\"],
  \"purpose\":\"核验社会保险待遇领取人员户籍状态\",\"legalDuty\":\"《社会保险法》第八十一条\",\"fieldsRequested\":[\"姓名\",\"公民身份号码\"],
  \"usePeriodDays\":90,\"accessMode\":\"INTERFACE\"}" | json v.applicationNo)
echo "submitted $NO"
T=$(task_for "$GAJ" PROVIDER_REPLY "$NO"); call "$GAJ" -X POST "$API/api/tasks/$T/complete" -d '{"decision":"AGREE","comment":"同意"}' | json '"provider: "+v.task.decision'
T=$(task_for "$DSJ" AUTHORITY_REVIEW "$NO"); call "$DSJ" -X POST "$API/api/tasks/$T/complete" -d '{"decision":"APPROVE"}' | json '"authority: "+v.task.decision'
T=$(task_for "$GAJ" AGREEMENT_CONFIRM "$NO"); call "$GAJ" -X POST "$API/api/tasks/$T/complete" -d '{"decision":"CONFIRM"}' | json '"provider confirms: "+v.task.decision'
T=$(task_for "$RSJ" AGREEMENT_CONFIRM "$NO"); call "$RSJ" -X POST "$API/api/tasks/$T/complete" -d '{"decision":"CONFIRM"}' | json '"applicant confirms: "+v.task.decision'
for _ in $(seq 1 50); do
  STATUS=$(call "$RSJ" "$API/api/applications/$NO" | json v.status)
  [ "$STATUS" = APPROVED ] && break; sleep 0.2
done
call "$RSJ" "$API/api/applications/$NO" | json '({status: v.status, grants: v.grants, timeline: v.timeline.map(e => e.kind)})'
[ "$STATUS" = APPROVED ] || { echo "expected APPROVED, got $STATUS" >&2; exit 1; }
