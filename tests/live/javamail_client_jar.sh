#!/usr/bin/env bash
# Compiles tests/live/JavaMailClient.java once into build/java/javamail-client.jar,
# whose manifest names Debian's JavaMail (/usr/share/java/javax.mail.jar): the
# javamail-* profiles run `java -jar` on it, so no scenario pays for javac.
#   tests/live/javamail_client_jar.sh     (needs default-jdk-headless and libmail-java)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=build/java
mail=/usr/share/java/javax.mail.jar
[ -f "$mail" ] || { echo "javamail_client_jar.sh: $mail missing (Debian package libmail-java)" >&2; exit 1; }
mkdir -p "$out/classes"
timeout 300 javac -d "$out/classes" -cp "$mail" tests/live/JavaMailClient.java
printf 'Main-Class: JavaMailClient\nClass-Path: file:%s\n' "$mail" >"$out/manifest.txt"
timeout 120 jar --create --file "$out/javamail-client.jar" --manifest "$out/manifest.txt" \
  -C "$out/classes" .
echo "$out/javamail-client.jar"
