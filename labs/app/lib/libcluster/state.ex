defmodule Cluster.Strategy.State do
  @moduledoc """
  What `Cluster.Supervisor` hands every strategy: libcluster 3.5's state struct, with
  the same fields (lib/strategy/state.ex). `config` is the topology's `config:` list as
  written; `meta` belongs to the strategy (DNSPoll keeps the nodes it last found there).
  """
  @type t :: %__MODULE__{
          topology: atom,
          connect: {module, atom, [term]},
          disconnect: {module, atom, [term]},
          list_nodes: {module, atom, [term]},
          meta: term,
          config: keyword
        }

  defstruct topology: nil, connect: nil, disconnect: nil, list_nodes: nil, meta: nil, config: []
end
