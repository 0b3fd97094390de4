#!/bin/sh
# The same defaults as fallbacks: Compose's `environment:` wins when it sets them.
export RELEASE_DISTRIBUTION="${RELEASE_DISTRIBUTION:-name}"
export RELEASE_NODE="${RELEASE_NODE:-clusterlab@127.0.0.1}"
