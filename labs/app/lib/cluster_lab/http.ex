defmodule ClusterLab.Http do
  @moduledoc """
  A bare `:httpc` GET, the stand-in for an S3 or OTLP client.

  It returns `:httpc.request/4`'s raw result so a lesson can call it through
  `erl_call` and show the exact error from the wrong network, e.g.
  `{error,{failed_connect,[{to_address,{"minio",9000}},{inet,[inet],nxdomain}]}}`.
  """

  @doc "GET `url` (binary or charlist) with a 5 s timeout (a loaded 2-core host can take seconds)."
  def get(url) when is_binary(url), do: url |> String.to_charlist() |> get()
  def get(url) when is_list(url), do: :httpc.request(:get, {url, []}, [timeout: 5_000], [])
end
