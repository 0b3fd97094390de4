export RELEASE_NODE=app@127.0.0.1
