"""`sme-ai keys create|list|revoke`: the HTTP API's keys (stored hashed; a new key is shown once)."""

from __future__ import annotations

import json

from sme_ai.cli.common import settings_from


def cmd_keys(args) -> int:
    from sme_ai.api.keys import KeyStore

    store = KeyStore(settings_from(args).keys_path)
    if args.action == "create":
        record, full = store.create(args.tenant, admin=args.admin)
        if args.json:
            print(json.dumps({**record.public(), "key": full}, ensure_ascii=False))
        else:
            print(f"已创建 API key {record.id}（租户 {record.tenant}{'，管理员' if record.admin else ''}）。"
                  "请立即保存，之后不再显示 (shown once):")
            print(full)
    elif args.action == "list":
        keys = [k.public() for k in store.list()]
        if args.json:
            print(json.dumps(keys, ensure_ascii=False, indent=1))
        for k in [] if args.json else keys:
            print(f"{k['id']}\t{k['tenant']}\t{'admin' if k['admin'] else '-'}\t{k['created']}\t"
                  f"{'已吊销 revoked' if k['revoked'] else '有效 active'}")
        if not keys and not args.json:
            print("（没有 API key；用 `sme-ai keys create --tenant NAME` 创建）")
    else:
        record = store.revoke(args.key_id)
        print(f"已吊销 API key {record.id}（租户 {record.tenant}）")
    return 0


def add_command(sub) -> None:
    s = sub.add_parser("keys", help="API keys for `sme-ai serve`: create, list, revoke")
    k = s.add_subparsers(dest="action", required=True)
    kc = k.add_parser("create", help="a new key for a tenant (its own knowledge base); shown once")
    kc.add_argument("--tenant", required=True, help="tenant name: lower-case letters, digits, '-' or '_'")
    kc.add_argument("--admin", action="store_true", help="may upload and remove documents, and use every tenant")
    kc.add_argument("--json", action="store_true")
    kl = k.add_parser("list")
    kl.add_argument("--json", action="store_true")
    kr = k.add_parser("revoke")
    kr.add_argument("key_id")
    s.set_defaults(func=cmd_keys)
