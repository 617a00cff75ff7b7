using Sockit.Endpoints;
using Sockit.Proxies.Faults;

namespace Sockit.Proxies;

/// <summary>What a proxy should be, as a config file or <c>POST /populate</c> gives it.</summary>
/// <param name="Name">Unique name.</param>
/// <param name="Listen">Where to listen.</param>
/// <param name="Upstream">Where to relay to.</param>
/// <param name="Enabled">Whether it should be up.</param>
/// <param name="Toxics">Toxics to start with.</param>
internal sealed record ProxyDefinition(string Name, Endpoint Listen, Endpoint Upstream, bool Enabled = true, IReadOnlyList<Toxic>? Toxics = null);
