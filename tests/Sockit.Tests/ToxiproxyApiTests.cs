using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Sockit.Endpoints;
using Sockit.Proxies;
using Sockit.Proxies.Control;
using Sockit.Testing;

namespace Sockit.Tests;

/// <summary>
/// toxiproxy's own API tests (api_test.go in Shopify/toxiproxy), ported one for one and named as there, run against
/// Sockit's control API: the same requests, the same status codes, JSON and error texts. <see cref="ToxiproxyGoClient"/>
/// speaks as toxiproxy's Go client does and formats its errors the same way (<c>create: HTTP 400: ...</c>), so every
/// expected text below is copied from api_test.go. Where toxiproxy fixes ports (7070, 3310, ...) these take free ones.
/// </summary>
public sealed class ToxiproxyApiTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    // --- api_test.go, in its order ---

    [Fact]
    public async Task TestRequestId()
    {
        await using var server = await ToxiproxyGoClient.StartAsync();
        using var response = await server.RawAsync(HttpMethod.Get, "/version", userAgent: "curl");
        Assert.True(response.Headers.Contains("X-Toxiproxy-Request-Id"), response.Headers.ToString());
    }

    [Fact]
    public async Task TestBrowserGets403()
    {
        await using var server = await ToxiproxyGoClient.StartAsync();
        using var response = await server.RawAsync(HttpMethod.Get, "/proxies",
            userAgent: "Mozilla/5.0 (Linux; Android 4.4.2); Nexus 5 Build/KOT49H) AppleWebKit/537.36(KHTML, like Gecko) Chrome/33.0.1750.117 Mobile Safari/537.36 OPR/20.0.1396.72047");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task TestNonBrowserGets200()
    {
        await using var server = await ToxiproxyGoClient.StartAsync();
        using var response = await server.RawAsync(HttpMethod.Get, "/proxies", userAgent: "Wget/2.1");
        Assert.NotEqual(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task TestIndexWithNoProxies()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        Assert.Empty(await client.ProxiesAsync());
    }

    [Fact]
    public async Task TestCreateProxyBlankName()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        var (_, error) = await client.CreateProxyAsync("", "", "");
        Assert.Equal("create: HTTP 400: missing required field: name", error);
    }

    [Fact]
    public async Task TestCreateProxyBlankUpstream()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        var (_, error) = await client.CreateProxyAsync("test", "", "");
        Assert.Equal("create: HTTP 400: missing required field: upstream", error);
    }

    [Fact]
    public async Task TestPopulateProxy()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        var (one, two) = (Localhost(), Localhost());
        var (proxies, error) = await client.PopulateAsync(Entry("one", one, Localhost()), Entry("two", two, Localhost()));
        Assert.Null(error);
        Assert.Equal(["one", "two"], proxies.Select(p => (string)p["name"]!));
        foreach (var proxy in proxies) await AssertProxyUp((string)proxy["listen"]!, true);
    }

    [Fact]
    public async Task TestPopulateDefaultEnabled()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        using var response = await client.RawAsync(HttpMethod.Post, "/populate",
            $$"""[{"name": "test", "listen": "{{Localhost()}}", "upstream": "{{Localhost()}}"}]""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var proxies = await client.ProxiesAsync();
        Assert.Equal("test", Assert.Single(proxies).Key);
        foreach (var proxy in proxies.Values) await AssertProxyUp((string)proxy["listen"]!, true);
    }

    [Fact]
    public async Task TestPopulateDisabledProxy()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        var (one, two) = (Localhost(), Localhost());
        var (proxies, error) = await client.PopulateAsync(Entry("one", one, Localhost(), enabled: false), Entry("two", two, Localhost()));
        Assert.Null(error);
        Assert.Equal(["one", "two"], proxies.Select(p => (string)p["name"]!));
        await AssertProxyUp(one, false);
        await AssertProxyUp(two, true);
    }

    [Fact]
    public async Task TestPopulateExistingProxy()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        var (onePort, twoPort) = (Ports.Free(), Ports.Free());
        var oneUpstream = Localhost();
        Assert.Null((await client.CreateProxyAsync("one", $"localhost:{onePort}", oneUpstream)).Error);
        Assert.Null((await client.CreateProxyAsync("two", $"localhost:{twoPort}", Localhost())).Error);
        // A toxic, so that we can tell the proxy was not replaced.
        Assert.Null((await client.AddToxicAsync("one", "", "latency", "downstream", 1, null)).Error);

        var moved = Ports.Free();
        var (proxies, error) = await client.PopulateAsync(
            Entry("one", $"localhost:{onePort}", oneUpstream), // intentional: this should be resolved to 127.0.0.1:onePort
            Entry("two", $"127.0.0.1:{moved}", Localhost()));
        Assert.Null(error);
        Assert.Equal(["one", "two"], proxies.Select(p => (string)p["name"]!));
        Assert.Equal([$"127.0.0.1:{onePort}", $"127.0.0.1:{moved}"], proxies.Select(p => (string)p["listen"]!));

        var toxics = await client.ToxicsAsync("one");
        Assert.True(toxics.Count == 1 && (string)toxics[0]!["type"]! == "latency", $"Populate did not preseve existing proxy. ({toxics.Count} toxics)");
        foreach (var proxy in proxies) await AssertProxyUp((string)proxy["listen"]!, true);
    }

    [Fact]
    public async Task TestPopulateWithBadName()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        var (proxies, error) = await client.PopulateAsync(Entry("one", Localhost(), Localhost()), new JsonObject { ["name"] = "", ["listen"] = "", ["enabled"] = true });
        Assert.Equal("Populate: HTTP 400: missing required field: name at proxy 2", error);
        Assert.Empty(proxies);
        Assert.Empty(await client.ProxiesAsync());
    }

    [Fact]
    public async Task TestPopulateProxyWithBadDataShouldReturnError()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        var (proxies, error) = await client.PopulateAsync(
            Entry("one", Localhost(), Localhost()), Entry("two", "local373", Localhost()), Entry("three", Localhost(), Localhost()));
        Assert.NotNull(error);
        Assert.Empty(proxies);
        var all = await client.ProxiesAsync();
        Assert.Equal("one", Assert.Single(all).Key);
        Assert.DoesNotContain("two", all.Keys);
        Assert.DoesNotContain("three", all.Keys);
    }

    [Fact]
    public async Task TestPopulateAddToxic()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        var (proxies, error) = await client.PopulateAsync(Entry("one", Localhost(), Localhost()));
        Assert.Null(error);
        Assert.Equal("one", (string)Assert.Single(proxies)["name"]!);
        Assert.Null((await client.AddToxicAsync("one", "", "latency", "downstream", 1, null)).Error);
    }

    [Fact]
    public async Task TestListingProxies()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        var (port, upstream) = (Ports.Free(), Localhost());
        Assert.Null((await client.CreateProxyAsync("mysql_master", $"localhost:{port}", upstream)).Error);
        var proxies = await client.ProxiesAsync();
        Assert.True(proxies.TryGetValue("mysql_master", out var proxy), "Expected to see mysql_master proxy in list");
        AssertProxy(proxy, "mysql_master", $"127.0.0.1:{port}", upstream, true);
        AssertToxicExists(proxy["toxics"]!.AsArray(), "latency", "", "", false);
    }

    [Fact]
    public async Task TestCreateAndGetProxy()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        var (port, upstream) = (Ports.Free(), Localhost());
        Assert.Null((await client.CreateProxyAsync("mysql_master", $"localhost:{port}", upstream)).Error);
        var (proxy, error) = await client.ProxyAsync("mysql_master");
        Assert.Null(error);
        AssertProxy(proxy!, "mysql_master", $"127.0.0.1:{port}", upstream, true);
        AssertToxicExists(proxy!["toxics"]!.AsArray(), "latency", "", "", false);
    }

    [Fact]
    public async Task TestCreateProxyWithSave()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        var (port, upstream) = (Ports.Free(), Localhost());
        // Proxy.Save() of a new proxy: POST /proxies with the whole proxy, its (empty) toxics included.
        Assert.Null((await client.SaveAsync(null, Entry("mysql_master", $"localhost:{port}", upstream))).Error);
        var (proxy, error) = await client.ProxyAsync("mysql_master");
        Assert.Null(error);
        AssertProxy(proxy!, "mysql_master", $"127.0.0.1:{port}", upstream, true);
        await AssertProxyUp((string)proxy!["listen"]!, true);
    }

    [Fact]
    public async Task TestCreateDisabledProxy()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        var (_, listen) = await SaveDisabledMysqlMasterAsync(client);
        await AssertProxyUp(listen, false);
    }

    [Fact]
    public async Task TestCreateDisabledProxyAndEnable()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        var (proxy, _) = await SaveDisabledMysqlMasterAsync(client);

        proxy["enabled"] = true;
        string? error;
        (proxy, error) = await client.SaveAsync("mysql_master", proxy!);
        Assert.Null(error);
        await AssertProxyUp((string)proxy!["listen"]!, true);

        proxy["enabled"] = false;
        (proxy, error) = await client.SaveAsync("mysql_master", proxy!);
        Assert.Null(error);
        await AssertProxyUp((string)proxy!["listen"]!, false);
    }

    [Fact]
    public async Task TestDeleteProxy()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        var (proxy, error) = await client.CreateProxyAsync("mysql_master", Localhost(), Localhost());
        Assert.Null(error);
        var listen = (string)proxy!["listen"]!;
        Assert.NotEmpty(await client.ProxiesAsync());
        await AssertProxyUp(listen, true);

        Assert.Null(await client.DeleteAsync("mysql_master"));
        await AssertProxyUp(listen, false);
        Assert.Empty(await client.ProxiesAsync());
        Assert.Equal("Delete: HTTP 404: proxy not found", await client.DeleteAsync("mysql_master"));
    }

    [Fact]
    public async Task TestCreateProxyPortConflict()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        var (port, upstream) = (Ports.Free(), Localhost());
        Assert.Null((await client.CreateProxyAsync("mysql_master", $"localhost:{port}", upstream)).Error);
        var (_, error) = await client.CreateProxyAsync("test", $"localhost:{port}", upstream);
        Assert.Equal($"create: HTTP 500: listen tcp 127.0.0.1:{port}: bind: address already in use", error);

        Assert.Null(await client.DeleteAsync("mysql_master"));
        Assert.Null((await client.CreateProxyAsync("test", $"localhost:{port}", upstream)).Error);
    }

    [Fact]
    public async Task TestCreateProxyNameConflict()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        var upstream = Localhost();
        Assert.Null((await client.CreateProxyAsync("mysql_master", Localhost(), upstream)).Error);
        var other = Localhost();
        var (_, error) = await client.CreateProxyAsync("mysql_master", other, upstream);
        Assert.Equal("create: HTTP 409: proxy already exists", error);

        Assert.Null(await client.DeleteAsync("mysql_master"));
        Assert.Null((await client.CreateProxyAsync("mysql_master", other, upstream)).Error);
    }

    [Fact]
    public async Task TestResetState()
    {
        await using var client = await WithMysqlMasterAsync();
        var (latency, error) = await client.AddToxicAsync("mysql_master", "", "latency", "downstream", 1, new() { ["latency"] = 100, ["jitter"] = 10 });
        Assert.Null(error);
        Assert.True((double)latency!["attributes"]!["latency"]! == 100 && (double)latency["attributes"]!["jitter"]! == 10);

        Assert.Null(await client.ResetStateAsync());
        var proxies = await client.ProxiesAsync();
        Assert.True(proxies.TryGetValue("mysql_master", out var proxy), "Expected proxy to still exist");
        Assert.True((bool)proxy["enabled"]!, "Expected proxy to be enabled");
        AssertToxicExists(await client.ToxicsAsync("mysql_master"), "latency", "", "", false);
        await AssertProxyUp((string)proxy["listen"]!, true);
    }

    [Fact]
    public async Task TestListingToxics()
    {
        await using var client = await WithMysqlMasterAsync();
        AssertToxicExists(await client.ToxicsAsync("mysql_master"), "latency", "", "", false);
    }

    [Fact]
    public async Task TestAddToxic()
    {
        await using var client = await WithMysqlMasterAsync();
        var (latency, error) = await client.AddToxicAsync("mysql_master", "foobar", "latency", "downstream", 1, new() { ["latency"] = 100, ["jitter"] = 10 });
        Assert.Null(error);
        Assert.True((double)latency!["attributes"]!["latency"]! == 100 && (double)latency["attributes"]!["jitter"]! == 10);
        var toxic = AssertToxicExists(await client.ToxicsAsync("mysql_master"), "foobar", "latency", "downstream", true);
        AssertToxic(toxic!, 1, 100, 10);
    }

    [Fact]
    public async Task TestAddMultipleToxics()
    {
        await using var client = await WithMysqlMasterAsync();
        Assert.Null((await client.AddToxicAsync("mysql_master", "latency1", "latency", "downstream", 1, null)).Error);
        Assert.Null((await client.AddToxicAsync("mysql_master", "latency2", "latency", "downstream", 1, null)).Error);
        var toxics = await client.ToxicsAsync("mysql_master");
        AssertToxicExists(toxics, "latency1", "latency", "downstream", true);
        AssertToxic(AssertToxicExists(toxics, "latency2", "latency", "downstream", true)!, 1, 0, 0);
        AssertToxicExists(toxics, "latency1", "", "upstream", false);
        AssertToxicExists(toxics, "latency2", "", "upstream", false);
    }

    [Fact]
    public async Task TestAddConflictingToxic() => await AssertConflictingToxicAsync(("latency", "downstream"), ("slow_close", "downstream"), "upstream");

    [Fact]
    public async Task TestAddConflictingToxicsMultistream() => await AssertConflictingToxicAsync(("latency", "upstream"), ("latency", "downstream"), "downstream");

    /// <summary>The body of both conflict tests: a second toxic named foobar is refused, the first is read back unchanged.</summary>
    private static async Task AssertConflictingToxicAsync((string Type, string Stream) first, (string Type, string Stream) second, string otherStream)
    {
        await using var client = await WithMysqlMasterAsync();
        Assert.Null((await client.AddToxicAsync("mysql_master", "foobar", first.Type, first.Stream, 1, null)).Error);
        Assert.Equal("AddToxic: HTTP 409: toxic already exists", (await client.AddToxicAsync("mysql_master", "foobar", second.Type, second.Stream, 1, null)).Error);
        var toxics = await client.ToxicsAsync("mysql_master");
        AssertToxic(AssertToxicExists(toxics, "foobar", first.Type, first.Stream, true)!, 1, 0, 0);
        AssertToxicExists(toxics, "foobar", "", otherStream, false);
    }

    [Fact]
    public async Task TestAddConflictingToxicsMultistreamDefaults()
    {
        await using var client = await WithMysqlMasterAsync();
        Assert.Null((await client.AddToxicAsync("mysql_master", "", "latency", "upstream", 1, null)).Error);
        Assert.Null((await client.AddToxicAsync("mysql_master", "", "latency", "downstream", 1, null)).Error);
        var toxics = await client.ToxicsAsync("mysql_master");
        AssertToxic(AssertToxicExists(toxics, "latency_upstream", "latency", "upstream", true)!, 1, 0, 0);
        AssertToxic(AssertToxicExists(toxics, "latency_downstream", "latency", "downstream", true)!, 1, 0, 0);
    }

    [Fact]
    public async Task TestAddToxicWithToxicity()
    {
        await using var client = await WithMysqlMasterAsync();
        var (latency, error) = await client.AddToxicAsync("mysql_master", "", "latency", "downstream", 0.2, new() { ["latency"] = 100, ["jitter"] = 10 });
        Assert.Null(error);
        AssertToxic(latency!, 0.2, 100, 10);
        AssertToxic(AssertToxicExists(await client.ToxicsAsync("mysql_master"), "latency_downstream", "latency", "downstream", true)!, 0.2, 100, 10);
    }

    [Fact]
    public async Task TestAddNoop()
    {
        await using var client = await WithMysqlMasterAsync();
        var (noop, error) = await client.AddToxicAsync("mysql_master", "foobar", "noop", "", 1, null);
        Assert.Null(error);
        Assert.True((double)noop!["toxicity"]! == 1 && (string)noop["name"]! == "foobar" && (string)noop["type"]! == "noop" && (string)noop["stream"]! == "downstream",
            noop.ToJsonString());
        var toxic = AssertToxicExists(await client.ToxicsAsync("mysql_master"), "foobar", "noop", "downstream", true);
        Assert.Equal(1, (double)toxic!["toxicity"]!);
    }

    [Fact]
    public async Task TestUpdateToxics()
    {
        await using var client = await WithMysqlMasterAsync();
        var (latency, error) = await client.AddToxicAsync("mysql_master", "", "latency", "downstream", -1, new() { ["latency"] = 100, ["jitter"] = 10 });
        Assert.Null(error);
        AssertToxic(latency!, 1, 100, 10);

        (latency, error) = await client.UpdateToxicAsync("mysql_master", "latency_downstream", 0.5, new() { ["latency"] = 1000 });
        Assert.Null(error);
        AssertToxic(latency!, 0.5, 1000, 10);

        (latency, error) = await client.UpdateToxicAsync("mysql_master", "latency_downstream", -1, new() { ["latency"] = 500 });
        Assert.Null(error);
        AssertToxic(latency!, 0.5, 500, 10);

        AssertToxic(AssertToxicExists(await client.ToxicsAsync("mysql_master"), "latency_downstream", "latency", "downstream", true)!, 0.5, 500, 10);
    }

    [Fact]
    public async Task TestRemoveToxic()
    {
        await using var client = await WithMysqlMasterAsync();
        Assert.Null((await client.AddToxicAsync("mysql_master", "", "latency", "downstream", 1, null)).Error);
        AssertToxic(AssertToxicExists(await client.ToxicsAsync("mysql_master"), "latency_downstream", "latency", "downstream", true)!, 1, 0, 0);
        Assert.Null(await client.RemoveToxicAsync("mysql_master", "latency_downstream"));
        AssertToxicExists(await client.ToxicsAsync("mysql_master"), "latency_downstream", "", "", false);
    }

    [Fact]
    public async Task TestVersionEndpointReturnsVersion()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        using var response = await client.RawAsync(HttpMethod.Get, "/version");
        // toxiproxy's test build reports "git"; the body is otherwise byte for byte the same.
        Assert.Equal($"{{\"version\": \"{ControlApi.Version}\"}}\n", await response.Content.ReadAsStringAsync(Token));
    }

    [Fact]
    public async Task TestInvalidStream()
    {
        await using var client = await WithMysqlMasterAsync();
        Assert.NotNull((await client.AddToxicAsync("mysql_master", "", "latency", "walrustream", 1, null)).Error);
    }

    // --- behaviour that toxiproxy has only in its source (api.go, proxy_collection.go, toxic_collection.go, stream/, client/) ---

    [Fact]
    public async Task Source_PopulateFailingPartwayAnswers500AndListsTheProxiesMade()
    {
        // proxy_collection.go PopulateJson returns the proxies made before the failure; api.go Populate writes them with the error.
        await using var client = await ToxiproxyGoClient.StartAsync();
        using var response = await client.RawAsync(HttpMethod.Post, "/populate",
            $$"""[{"name":"one","listen":"{{Localhost()}}","upstream":"{{Localhost()}}"},{"name":"two","listen":"local373","upstream":"localhost:1"}]""");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!;
        Assert.Equal("listen tcp: address local373: missing port in address", (string)body["error"]!);
        Assert.Equal(500, (int)body["status"]!);
        Assert.Equal("one", (string)Assert.Single(body["proxies"]!.AsArray())!["name"]!);
    }

    [Fact]
    public async Task Source_PopulateRefusedBeforeAnyIsMadeListsNullProxies()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        using var response = await client.RawAsync(HttpMethod.Post, "/populate", """[{"name":"one","listen":"127.0.0.1:0"}]""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("""{"error":"missing required field: upstream at proxy 1","status":400,"proxies":null}""", await response.Content.ReadAsStringAsync(Token));
    }

    [Fact]
    public async Task Source_StreamIsMatchedIgnoringCaseAndTheDefaultNameKeepsItsText()
    {
        // stream/direction.go ParseDirection lowercases; toxic_collection.go names the toxic TYPE_STREAM from the text given.
        await using var client = await ToxiproxyGoClient.StartAsync();
        Assert.Null((await client.CreateProxyAsync("db", Localhost(), Localhost())).Error);
        var (toxic, error) = await client.AddToxicAsync("db", "", "latency", "Upstream", 1, null);
        Assert.Null(error);
        Assert.Equal("latency_Upstream", (string)toxic!["name"]!);
        Assert.Equal("upstream", (string)toxic["stream"]!);
    }

    [Fact]
    public async Task Source_UnknownAttributesAndFieldsAreIgnoredAndFieldNamesMatchIgnoringCase()
    {
        // Go's encoding/json: unknown fields are skipped and "Name" finds the field tagged "name".
        await using var client = await ToxiproxyGoClient.StartAsync();
        using var created = await client.RawAsync(HttpMethod.Post, "/proxies",
            $$"""{"Name":"db","Listen":"{{Localhost()}}","UPSTREAM":"{{Localhost()}}","color":"blue","toxics":[{"type":"latency"}]}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Empty(await client.ToxicsAsync("db")); // a toxics array in a create body is ignored, as toxiproxy ignores it
        using var toxic = await client.RawAsync(HttpMethod.Post, "/proxies/db/toxics",
            """{"type":"latency","attributes":{"latency":5,"colour":"red","Jitter":2},"extra":[1]}""");
        Assert.Equal(HttpStatusCode.OK, toxic.StatusCode);
        AssertToxic(JsonNode.Parse(await toxic.Content.ReadAsStringAsync(Token))!, 1, 5, 2);
    }

    [Fact]
    public async Task Source_ToxicErrorsComeInToxiproxysOrder()
    {
        // toxic_collection.go AddToxicJson: body, stream, type, name taken; UpdateToxicJson: toxic found, then body; api.go's proxy lookups first.
        await using var client = await ToxiproxyGoClient.StartAsync();
        Assert.Null((await client.CreateProxyAsync("db", Localhost(), Localhost())).Error);
        Assert.Null((await client.AddToxicAsync("db", "taken", "latency", "downstream", 1, null)).Error);
        foreach (var (method, path, body, expected) in new[]
        {
            ("POST", "/proxies/db/toxics", "", "HTTP 400: bad request body: EOF"),
            ("POST", "/proxies/db/toxics", """{"type":"teleport","stream":"sideways"}""", "HTTP 400: stream was invalid, can be either upstream or downstream"),
            ("POST", "/proxies/db/toxics", """{"type":"teleport","name":"taken"}""", "HTTP 400: invalid toxic type"),
            ("POST", "/proxies/db/toxics", """{"stream":"upstream"}""", "HTTP 400: invalid toxic type"),
            ("POST", "/proxies/db/toxics", """{"type":"slow_close","name":"taken","attributes":{"delay":"x"}}""", "HTTP 409: toxic already exists"),
            ("PATCH", "/proxies/db/toxics/none", "{not json", "HTTP 404: toxic not found"),
            ("GET", "/proxies/db/toxics/none", null, "HTTP 404: toxic not found"),
            ("DELETE", "/proxies/db/toxics/none", null, "HTTP 404: toxic not found"),
            ("POST", "/proxies/none/toxics", "{not json", "HTTP 404: proxy not found"),
            ("GET", "/proxies/none", null, "HTTP 404: proxy not found"),
            ("PATCH", "/proxies/none", "{}", "HTTP 404: proxy not found"),
            ("PATCH", "/proxies/db", """{"listen":"local373"}""", "HTTP 500: address local373: missing port in address"), // proxy.go Differs
            ("POST", "/proxies/db", """{"enabled":"yes"}""", "HTTP 400: bad request body: enabled must be true or false"),
        })
        {
            Assert.Equal(expected, await client.ErrorOfAsync(new HttpMethod(method), path, body));
        }
    }

    [Fact]
    public async Task Source_CreateChecksNameThenUpstreamThenTakenNameThenListen()
    {
        // api.go ProxyCreate, then proxy_collection.go Add (name taken before any bind), then proxy.go start (Go's net error, 500).
        await using var client = await ToxiproxyGoClient.StartAsync();
        Assert.Null((await client.CreateProxyAsync("db", Localhost(), Localhost())).Error);
        Assert.Equal("create: HTTP 400: missing required field: name", (await client.CreateProxyAsync("", "no port", "")).Error);
        Assert.Equal("create: HTTP 400: missing required field: upstream", (await client.CreateProxyAsync("x", "no port", "")).Error);
        Assert.Equal("create: HTTP 409: proxy already exists", (await client.CreateProxyAsync("db", "local373", Localhost())).Error);
        Assert.Equal("create: HTTP 500: listen tcp: address local373: missing port in address", (await client.CreateProxyAsync("x", "local373", Localhost())).Error);
    }

    [Fact]
    public async Task Source_ToxicsAreListedUpstreamChainFirst()
    {
        // toxic_collection.go GetToxicArray walks the upstream chain, then the downstream one.
        await using var client = await ToxiproxyGoClient.StartAsync();
        Assert.Null((await client.CreateProxyAsync("db", Localhost(), Localhost())).Error);
        Assert.Null((await client.AddToxicAsync("db", "a", "latency", "downstream", 1, null)).Error);
        Assert.Null((await client.AddToxicAsync("db", "b", "latency", "upstream", 1, null)).Error);
        Assert.Null((await client.AddToxicAsync("db", "c", "noop", "downstream", 1, null)).Error);
        Assert.Equal(["b", "a", "c"], (await client.ToxicsAsync("db")).Select(t => (string)t!["name"]!));
        var (proxy, _) = await client.ProxyAsync("db");
        Assert.Equal(["b", "a", "c"], proxy!["toxics"]!.AsArray().Select(t => (string)t!["name"]!));
    }

    [Fact]
    public async Task Source_AChunkedBodyIsRead()
    {
        // Go's net/http reads chunked request bodies; toxiproxy's handlers never see the difference.
        await using var client = await ToxiproxyGoClient.StartAsync();
        var json = $$"""{"name":"db","listen":"{{Localhost()}}","upstream":"{{Localhost()}}"}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/proxies") { Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json))) };
        request.Headers.TransferEncodingChunked = true;
        using var response = await client.Http.SendAsync(request, Token);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Source_UpdatingToAnEquivalentListenAddressLeavesOpenConnectionsAlone()
    {
        // proxy.go Update restarts only when Differs, which compares resolved addresses.
        await using var echo = await Sockit.Servers.TestServer.StartAsync(Sockit.Servers.ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        await using var client = await ToxiproxyGoClient.StartAsync();
        var port = Ports.Free();
        Assert.Null((await client.CreateProxyAsync("db", $"127.0.0.1:{port}", echo.LocalEndpoint.ToString())).Error);
        using var open = new TcpClient();
        await open.ConnectAsync(IPAddress.Loopback, port, Token);
        var stream = open.GetStream();

        var (proxy, error) = await client.SaveAsync("db", new JsonObject { ["listen"] = $"localhost:{port}", ["enabled"] = true });
        Assert.Null(error);
        Assert.Equal($"127.0.0.1:{port}", (string)proxy!["listen"]!);
        await stream.WriteAsync("still here\n"u8.ToArray(), Token);
        var back = new byte[11];
        await stream.ReadExactlyAsync(back, Token);
        Assert.Equal("still here\n", Encoding.ASCII.GetString(back));
    }

    [Fact]
    public async Task Source_EveryAnswerCarriesARequestIdAndBrowsersGetToxiproxysText()
    {
        await using var client = await ToxiproxyGoClient.StartAsync();
        using var refused = await client.RawAsync(HttpMethod.Get, "/proxies", userAgent: "Mozilla/5.0");
        Assert.Equal("User agent not allowed\n", await refused.Content.ReadAsStringAsync(Token));
        var ids = new HashSet<string>();
        foreach (var path in new[] { "/proxies", "/proxies/none", "/version" })
        {
            using var response = await client.RawAsync(HttpMethod.Get, path);
            var id = Assert.Single(response.Headers.GetValues("X-Toxiproxy-Request-Id"));
            Assert.Matches("^[0-9a-v]{20}$", id);
            Assert.True(ids.Add(id), $"request id {id} was given twice");
        }
    }

    [Fact]
    public async Task Source_AnExistingProxyIsKeptByPopulateEvenWhenItAsksForItDisabled()
    {
        // proxy_collection.go AddOrReplace returns the existing proxy when it does not differ, whatever "enabled" says.
        await using var client = await ToxiproxyGoClient.StartAsync();
        var (listen, upstream) = (Localhost(), Localhost());
        Assert.Null((await client.CreateProxyAsync("db", listen, upstream)).Error);
        var (proxies, error) = await client.PopulateAsync(Entry("db", listen, upstream, enabled: false));
        Assert.Null(error);
        Assert.True((bool)Assert.Single(proxies)["enabled"]!);
        await AssertProxyUp(listen, true);
    }

    // --- helpers, as api_test.go has them ---

    /// <summary>The opening of most of api_test.go's tests: a server with the proxy mysql_master on it.</summary>
    private static async Task<ToxiproxyGoClient> WithMysqlMasterAsync()
    {
        var client = await ToxiproxyGoClient.StartAsync();
        Assert.Null((await client.CreateProxyAsync("mysql_master", Localhost(), Localhost())).Error);
        return client;
    }

    /// <summary>Both disabled-proxy tests' opening: Proxy.Save of a new proxy left disabled, read back as given (listen unresolved).</summary>
    private static async Task<(JsonNode Proxy, string Listen)> SaveDisabledMysqlMasterAsync(ToxiproxyGoClient client)
    {
        var (listen, upstream) = (Localhost(), Localhost());
        Assert.Null((await client.SaveAsync(null, Entry("mysql_master", listen, upstream, enabled: false))).Error);
        var (proxy, error) = await client.ProxyAsync("mysql_master");
        Assert.Null(error);
        AssertProxy(proxy!, "mysql_master", listen, upstream, false);
        return (proxy!, listen);
    }

    private static string Localhost() => $"localhost:{Ports.Free()}";

    private static JsonObject Entry(string name, string listen, string upstream, bool enabled = true) =>
        new() { ["name"] = name, ["listen"] = listen, ["upstream"] = upstream, ["enabled"] = enabled };

    private static void AssertProxy(JsonNode proxy, string name, string listen, string upstream, bool enabled)
    {
        Assert.Equal(name, (string)proxy["name"]!);
        Assert.Equal(listen, (string)proxy["listen"]!);
        Assert.Equal(upstream, (string)proxy["upstream"]!);
        Assert.Equal(enabled, (bool)proxy["enabled"]!);
    }

    private static void AssertToxic(JsonNode toxic, double toxicity, double latency, double jitter)
    {
        Assert.Equal(toxicity, (double)toxic["toxicity"]!, 6);
        Assert.Equal(latency, (double)toxic["attributes"]!["latency"]!);
        Assert.Equal(jitter, (double)toxic["attributes"]!["jitter"]!);
    }

    /// <summary>api_test.go's AssertProxyUp: a connection to the listen address is accepted, or refused.</summary>
    private static async Task AssertProxyUp(string listen, bool up)
    {
        var endpoint = Endpoint.Parse(listen);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endpoint.Host == "localhost" ? "127.0.0.1" : endpoint.Host!, endpoint.Port, Token);
            Assert.True(up, $"Expected proxy at {listen} to be down");
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            Assert.False(up, $"Expected proxy at {listen} to be up");
        }
    }

    /// <summary>api_test.go's AssertToxicExists, to the letter (a missing toxic passes when its stream differs).</summary>
    private static JsonNode? AssertToxicExists(JsonArray toxics, string name, string type, string stream, bool exists)
    {
        var toxic = toxics.LastOrDefault(t => (string)t!["name"]! == name);
        if (exists)
        {
            Assert.True(toxic is not null, $"Expected to see {name} toxic in list");
            Assert.Equal(type, (string)toxic!["type"]!);
            Assert.Equal(stream, (string)toxic["stream"]!);
        }
        else if (toxic is not null && (string)toxic["stream"]! == stream)
        {
            Assert.Fail($"Expected {name} toxic to be missing from list, found type {toxic["type"]}");
        }
        return toxic;
    }
}

/// <summary>
/// An in-process Sockit control API and a client for it that sends what toxiproxy's Go client (client/*.go) sends, with
/// its User-Agent, and formats errors as it does: <c>"{op}: HTTP {status}: {error}"</c>.
/// </summary>
internal sealed class ToxiproxyGoClient : IAsyncDisposable
{
    private readonly ProxyCollection _proxies;
    private readonly ControlApi _api;

    private ToxiproxyGoClient(ProxyCollection proxies, ControlApi api)
    {
        _proxies = proxies;
        _api = api;
        Http = new HttpClient { BaseAddress = new Uri($"http://{api.LocalEndpoint}") };
        Http.DefaultRequestHeaders.UserAgent.ParseAdd("toxiproxy-cli");
    }

    public HttpClient Http { get; }

    public static async Task<ToxiproxyGoClient> StartAsync()
    {
        var proxies = new ProxyCollection();
        return new ToxiproxyGoClient(proxies, await ControlApi.StartAsync(Endpoint.Parse("127.0.0.1:0"), proxies, cancellationToken: TestContext.Current.CancellationToken));
    }

    public async Task<HttpResponseMessage> RawAsync(HttpMethod method, string path, string? body = null, string? userAgent = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        if (userAgent is not null)
        {
            request.Headers.UserAgent.Clear();
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        }
        return await Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>The Go client's error text for this request without its operation prefix (<c>HTTP 404: proxy not found</c>), or null on success.</summary>
    public async Task<string?> ErrorOfAsync(HttpMethod method, string path, string? body = null)
    {
        var (_, error) = await SendAsync(method, path, body);
        return error;
    }

    public async Task<Dictionary<string, JsonNode>> ProxiesAsync()
    {
        var (json, error) = await SendAsync(HttpMethod.Get, "/proxies");
        Assert.Null(error);
        return json!.AsObject().ToDictionary(p => p.Key, p => p.Value!);
    }

    public async Task<(JsonNode? Proxy, string? Error)> ProxyAsync(string name) => await SendAsync(HttpMethod.Get, $"/proxies/{name}");

    /// <summary>Client.CreateProxy: Proxy.Save of {name, listen, upstream, enabled: true, toxics: null}, errors prefixed "create: ".</summary>
    public async Task<(JsonNode? Proxy, string? Error)> CreateProxyAsync(string name, string listen, string upstream)
    {
        var (proxy, error) = await SaveAsync(null, new JsonObject { ["name"] = name, ["listen"] = listen, ["upstream"] = upstream, ["enabled"] = true, ["toxics"] = null });
        return (proxy, error is null ? null : $"create: {error}");
    }

    /// <summary>Proxy.Save: POST /proxies for a new proxy, POST /proxies/NAME for one that exists.</summary>
    public async Task<(JsonNode? Proxy, string? Error)> SaveAsync(string? existing, JsonNode proxy) =>
        await SendAsync(HttpMethod.Post, existing is null ? "/proxies" : $"/proxies/{existing}", proxy.ToJsonString());

    /// <summary>Client.Populate: the proxies of the answer on success, none and "Populate: ..." on an error.</summary>
    public async Task<(List<JsonNode> Proxies, string? Error)> PopulateAsync(params JsonObject[] proxies)
    {
        var (json, error) = await SendAsync(HttpMethod.Post, "/populate", new JsonArray(proxies).ToJsonString());
        return error is null ? ([.. json!["proxies"]!.AsArray().Select(p => p!)], null) : ([], $"Populate: {error}");
    }

    public async Task<JsonArray> ToxicsAsync(string proxy)
    {
        var (json, error) = await SendAsync(HttpMethod.Get, $"/proxies/{proxy}/toxics");
        Assert.Null(error);
        return json!.AsArray();
    }

    /// <summary>Proxy.AddToxic: a toxicity of -1 means 1; an empty stream is left out (omitempty).</summary>
    public async Task<(JsonNode? Toxic, string? Error)> AddToxicAsync(string proxy, string name, string type, string stream, double toxicity, JsonObject? attributes)
    {
        var toxic = new JsonObject { ["name"] = name, ["type"] = type };
        if (stream.Length > 0) toxic["stream"] = stream;
        toxic["toxicity"] = toxicity == -1 ? 1 : toxicity;
        toxic["attributes"] = attributes;
        var (json, error) = await SendAsync(HttpMethod.Post, $"/proxies/{proxy}/toxics", toxic.ToJsonString());
        return (json, error is null ? null : $"AddToxic: {error}");
    }

    /// <summary>Proxy.UpdateToxic: PATCH with the attributes, and the toxicity unless it is -1.</summary>
    public async Task<(JsonNode? Toxic, string? Error)> UpdateToxicAsync(string proxy, string name, double toxicity, JsonObject? attributes)
    {
        var toxic = new JsonObject { ["attributes"] = attributes };
        if (toxicity != -1) toxic["toxicity"] = toxicity;
        return await SendAsync(HttpMethod.Patch, $"/proxies/{proxy}/toxics/{name}", toxic.ToJsonString());
    }

    public async Task<string?> RemoveToxicAsync(string proxy, string name) => (await SendAsync(HttpMethod.Delete, $"/proxies/{proxy}/toxics/{name}")).Error;

    public async Task<string?> DeleteAsync(string proxy)
    {
        var (_, error) = await SendAsync(HttpMethod.Delete, $"/proxies/{proxy}");
        return error is null ? null : $"Delete: {error}";
    }

    public async Task<string?> ResetStateAsync() => (await SendAsync(HttpMethod.Post, "/reset", "")).Error;

    private async Task<(JsonNode? Json, string? Error)> SendAsync(HttpMethod method, string path, string? body = null)
    {
        using var response = await RawAsync(method, path, body);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300) return (text.Length == 0 ? null : JsonNode.Parse(text), null);
        var error = JsonNode.Parse(text)!;
        return (null, $"HTTP {(int)error["status"]!}: {(string)error["error"]!}");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _api.DisposeAsync();
        await _proxies.DisposeAsync();
    }
}
