defmodule ClusterLab.Bench do
  @moduledoc """
  Round trips over distribution, timed inside the VM (lesson 6 compares plain TCP
  with TLS): `n` calls of `:erpc.call(peer, :erlang, :nodes, [])`, that is one
  `Node.list()` asked of a peer, each timed with `:timer.tc`.
  """

  @doc "Median and 90th percentile of `n` round trips to `peer`, in microseconds."
  def rtt(peer, n \\ 200) when is_atom(peer) and n > 0 do
    samples =
      for _ <- 1..n, do: elem(:timer.tc(:erpc, :call, [peer, :erlang, :nodes, []]), 0)

    sorted = Enum.sort(samples)
    {Enum.at(sorted, div(n, 2)), Enum.at(sorted, div(n * 9, 10))}
  end
end
