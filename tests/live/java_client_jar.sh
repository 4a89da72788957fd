#!/usr/bin/env bash
# Compiles one Java client of tests/live once into a jar whose manifest names
# the Debian library it runs on, so the profiles run `java -jar` on it and no
# scenario pays for javac:
#   tests/live/java_client_jar.sh CLASS LIBRARY_JAR OUT_NAME
#     tests/live/CLASS.java, built against LIBRARY_JAR, into build/java/OUT_NAME.jar
# ci/live-test.sh makes the two the profiles run (needs default-jdk-headless):
#   JavaMailClient    /usr/share/java/javax.mail.jar    javamail-client     (libmail-java)
#   CommonsNetClient  /usr/share/java/commons-net.jar   commons-net-client  (libcommons-net-java)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -eq 3 ] || { echo "usage: tests/live/java_client_jar.sh CLASS LIBRARY_JAR OUT_NAME" >&2; exit 2; }
class=$1 lib=$2 name=$3
out=build/java
[ -f "tests/live/$class.java" ] || { echo "java_client_jar.sh: tests/live/$class.java missing" >&2; exit 2; }
[ -f "$lib" ] || { echo "java_client_jar.sh: $lib missing (install its Debian package)" >&2; exit 1; }
mkdir -p "$out/$class-classes"
timeout 300 javac -d "$out/$class-classes" -cp "$lib" "tests/live/$class.java"
printf 'Main-Class: %s\nClass-Path: file:%s\n' "$class" "$lib" >"$out/$class-manifest.txt"
timeout 120 jar --create --file "$out/$name.jar" --manifest "$out/$class-manifest.txt" -C "$out/$class-classes" .
echo "$out/$name.jar"
