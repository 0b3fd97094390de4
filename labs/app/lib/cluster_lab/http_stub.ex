defmodule ClusterLab.HttpStub do
  @moduledoc """
  A stub HTTP server on `HTTP_PORT` that answers 200 "ok" to every request.

  It stands in for minio, jaeger and other non-BEAM services in the Compose
  variants (run those with `RELEASE_DISTRIBUTION=none`). Built on OTP's own
  `:httpd`, since hex packages are not available to the labs.
  """

  def child_spec(port) do
    config = [
      port: port,
      bind_address: :any,
      server_name: ~c"clusterlab",
      server_root: to_charlist(ClusterLab.state_dir()),
      document_root: to_charlist(ClusterLab.state_dir()),
      modules: [__MODULE__]
    ]

    %{id: __MODULE__, start: {:inets, :start, [:httpd, config, :stand_alone]}}
  end

  # The `:httpd` module callback is named `do`, a reserved word in Elixir.
  @doc false
  def unquote(:do)(_mod_data), do: {:proceed, [response: {200, ~c"ok"}]}
end
