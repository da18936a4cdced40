#!/bin/sh
# Verify a Signflow audit export with tar, openssl and sha256sum only.
# Usage: verify-export.sh AUDIT.tar CA.pem
# CA.pem is the Signflow CA certificate, obtained independently
# (GET /v1/certificates). Exits 0 and prints OK when everything holds.
set -eu
bundle=$1
ca=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xf "$bundle" -C "$work"
cp "$ca" "$work/trusted-ca.pem"
cd "$work"

# 1. The seal certificate (first in the chain) was issued by the trusted CA.
sed -n '1,/-----END CERTIFICATE-----/p' seal-chain.pem > seal.pem
openssl verify -CAfile trusted-ca.pem seal.pem > /dev/null

# 2. The manifest is signed by the seal certificate's key.
openssl x509 -in seal.pem -pubkey -noout > seal-pub.pem
openssl dgst -sha256 -verify seal-pub.pem -signature MANIFEST.sha256.sig MANIFEST.sha256 > /dev/null

# 3. Every file is exactly as the manifest lists it.
sha256sum --quiet -c MANIFEST.sha256

# 4. The hash chain: each event's hash covers the previous hash and the event.
prev=$(cat envelope-id.txt)
count=0
while IFS= read -r event <&3 && read -r seq hash <&4; do
  got=$(printf '%s%s' "$prev" "$event" | sha256sum | cut -d' ' -f1)
  if [ "$got" != "$hash" ]; then
    echo "event $seq does not match its hash: the audit trail was changed" >&2
    exit 1
  fi
  prev=$hash
  count=$((count + 1))
done 3< events.jsonl 4< hashes.txt
[ "$count" -eq "$(wc -l < hashes.txt)" ] || { echo "events.jsonl and hashes.txt differ in length" >&2; exit 1; }
echo "OK: seal certificate trusted, manifest signed, files intact, $count events chained"
