#!/bin/sh
# The example from mix's env.sh.eex docs, uncommented as-is. Unconditional exports:
# whatever Compose put in `environment:` is overwritten on every command.
export RELEASE_DISTRIBUTION=name
export RELEASE_NODE=clusterlab@127.0.0.1
