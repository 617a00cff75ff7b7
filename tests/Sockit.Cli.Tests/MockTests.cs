using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>
/// sockit mock against mountebank 2.9.1, side by side: the same imposters made through the same API calls, the same
/// traffic, and the same bytes back and the same recorded requests, for every predicate, response and behavior.
/// </summary>
[Collection("mountebank")]
public sealed class MockTests(MountebankFixture peers)
{
    private const string NoMatch = """{"responses":[{"is":{"data":"NOMATCH"}}]}""";

    public static TheoryData<string, string, string[]> TcpCases => new()
    {
        { "equals", Tcp("""{"predicates":[{"equals":{"data":"hello"}}],"responses":[{"is":{"data":"HIT"}}]}"""), ["hello", "HELLO", "hello!"] },
        { "equals caseSensitive", Tcp("""{"predicates":[{"equals":{"data":"Hello"},"caseSensitive":true}],"responses":[{"is":{"data":"HIT"}}]}"""), ["Hello", "hello"] },
        { "deepEquals", Tcp("""{"predicates":[{"deepEquals":{"data":"abc"}}],"responses":[{"is":{"data":"HIT"}}]}"""), ["abc", "ABC", "abcd"] },
        { "contains", Tcp("""{"predicates":[{"contains":{"data":"ell"}}],"responses":[{"is":{"data":"HIT"}}]}"""), ["hello", "HELLO WORLD", "xyz"] },
        { "startsWith", Tcp("""{"predicates":[{"startsWith":{"data":"PING"}}],"responses":[{"is":{"data":"PONG\n"}}]}"""), ["PING 1\n", "ping", "XPING"] },
        { "endsWith", Tcp("""{"predicates":[{"endsWith":{"data":"\n"}}],"responses":[{"is":{"data":"LINE"}}]}"""), ["a line\n", "no newline"] },
        { "matches", Tcp("""{"predicates":[{"matches":{"data":"^\\d{3}-\\w+$"}}],"responses":[{"is":{"data":"HIT"}}]}"""), ["123-abc", "12-abc", "123-ABC"] },
        { "matches caseSensitive", Tcp("""{"predicates":[{"matches":{"data":"^[A-Z]+$"},"caseSensitive":true}],"responses":[{"is":{"data":"HIT"}}]}"""), ["ABC", "abc"] },
        { "exists", Tcp("""{"predicates":[{"exists":{"data":true}}],"responses":[{"is":{"data":"HIT"}}]}"""), ["x"] },
        { "not", Tcp("""{"predicates":[{"not":{"contains":{"data":"bad"}}}],"responses":[{"is":{"data":"HIT"}}]}"""), ["good", "bad"] },
        { "or", Tcp("""{"predicates":[{"or":[{"startsWith":{"data":"a"}},{"endsWith":{"data":"z"}}]}],"responses":[{"is":{"data":"HIT"}}]}"""), ["abc", "xyz", "mmm"] },
        { "and", Tcp("""{"predicates":[{"and":[{"startsWith":{"data":"a"}},{"endsWith":{"data":"z"}}]}],"responses":[{"is":{"data":"HIT"}}]}"""), ["az", "abc"] },
        { "except", Tcp("""{"predicates":[{"equals":{"data":"order"},"except":"\\d+"}],"responses":[{"is":{"data":"HIT"}}]}"""), ["order123", "ORDER", "orders"] },
        { "JSON data", Tcp("""{"predicates":[{"equals":{"data":{"name":"Bob"}}}],"responses":[{"is":{"data":"HIT"}}]}"""), ["""{"name":"bob","x":1}""", """{"name":"al"}""", "not json"] },
        { "keyCaseSensitive", Tcp("""{"predicates":[{"equals":{"data":{"Name":"Bob"}},"caseSensitive":true,"keyCaseSensitive":false}],"responses":[{"is":{"data":"HIT"}}]}"""),
            ["""{"NAME":"Bob"}""", """{"NAME":"bob"}"""] },
        { "several predicates", Tcp("""{"predicates":[{"startsWith":{"data":"GET"}},{"contains":{"data":"key"}}],"responses":[{"is":{"data":"HIT"}}]}"""), ["GET key", "GET nothing"] },
        { "response cycle and repeat", Tcp("""{"responses":[{"is":{"data":"one"},"repeat":2},{"is":{"data":"two"}}]}"""), ["a", "b", "c", "d"] },
        { "copy", Tcp("""{"responses":[{"is":{"data":"Hello, ${name}! ${name}[0]"},"behaviors":[{"copy":{"from":"data","into":"${name}","using":{"method":"regex","selector":"\\w+$"}}}]}]}"""),
            ["my name is Alice"] },
        { "jsonpath", Tcp("""{"predicates":[{"equals":{"data":"Ann"},"jsonpath":{"selector":"$.user.name"}}],"responses":[{"is":{"data":"HIT"}}]}"""),
            ["""{"user":{"name":"ann"}}""", """{"user":{"name":"Bob"}}""", "not json", """{"USER":{"NAME":"ANN"}}"""] },
        { "jsonpath several values", Tcp("""{"predicates":[{"contains":{"data":"b"},"jsonpath":{"selector":"$..tags[*]"}}],"responses":[{"is":{"data":"HIT"}}]}"""),
            ["""{"a":{"tags":["x","abc"]},"tags":["q"]}""", """{"tags":["x","y"]}"""] },
        { "jsonpath deepEquals", Tcp("""{"predicates":[{"deepEquals":{"data":"3"},"jsonpath":{"selector":"$.items[-1:]"}}],"responses":[{"is":{"data":"HIT"}}]}"""),
            ["""{"items":[1,2,3]}""", """{"items":[3,2]}"""] },
        { "jsonpath matches", Tcp("""{"predicates":[{"matches":{"data":"^A\\d$"},"jsonpath":{"selector":"$.Code"},"caseSensitive":true}],"responses":[{"is":{"data":"HIT"}}]}"""),
            ["""{"Code":"A1"}""", """{"code":"A1"}""", """{"Code":"a1"}"""] },
        { "jsonpath over JSON in a string", Tcp("""{"predicates":[{"equals":{"data":{"orderId":"1"}},"jsonpath":{"selector":"$.message"}}],"responses":[{"is":{"data":"HIT"}}]}"""),
            ["""{"message":"{\"orderId\":\"1\"}"}""", """{"message":"{\"orderId\":\"2\"}"}"""] },
        { "jsonpath without $, and a negative index", Tcp("""{"predicates":[{"or":[{"equals":{"data":"ann"},"jsonpath":{"selector":"user.name"}},{"equals":{"data":"3"},"jsonpath":{"selector":"$.items[-1]"}}]}],"responses":[{"is":{"data":"HIT"}}]}"""),
            ["""{"user":{"name":"Ann"}}""", """{"items":[1,2,3]}"""] },
        { "copy jsonpath", Tcp("""{"responses":[{"is":{"data":"id=${id}, first=${id}[0], second=${id}[1]"},"behaviors":[{"copy":{"from":"data","into":"${id}","using":{"method":"jsonpath","selector":"$..id"}}}]}]}"""),
            ["""{"id":7,"child":{"id":"eight"}}""", "not json"] },
        { "defaultResponse", """{"protocol":"tcp","recordRequests":true,"defaultResponse":{"data":"DEFAULT"},"stubs":[{"predicates":[{"equals":{"data":"x"}}],"responses":[{"is":{"data":"X"}}]}]}""",
            ["x", "y"] },
        { "binary", """{"protocol":"tcp","mode":"binary","recordRequests":true,"stubs":[{"predicates":[{"equals":{"data":"AQID"}}],"responses":[{"is":{"data":"BAUG"}}]},{"responses":[{"is":{"data":"/w=="}}]}]}""",
            ["\u0001\u0002\u0003", "\u0001\u0002"] },
    };

    public static TheoryData<string, string, string[]> HttpCases => new()
    {
        { "method and path", Http("""{"predicates":[{"equals":{"method":"POST","path":"/orders"}}],"responses":[{"is":{"statusCode":201,"body":"created"}}]}"""),
            [Get("/orders", "POST"), Get("/orders"), Get("/Orders", "POST")] },
        { "query", Http("""{"predicates":[{"equals":{"query":{"q":"Shoes"}}}],"responses":[{"is":{"body":"shoes"}}]}"""), [Get("/?q=shoes"), Get("/?q=boots"), Get("/?q=boots&q=shoes")] },
        { "deepEquals query", Http("""{"predicates":[{"deepEquals":{"query":{"q":"a"}}}],"responses":[{"is":{"body":"exact"}}]}"""), [Get("/?q=a"), Get("/?q=a&r=b"), Get("/")] },
        { "headers", Http("""{"predicates":[{"equals":{"headers":{"Content-Type":"application/json"}}}],"responses":[{"is":{"body":"json"}}]}"""),
            [Get("/", headers: "content-type: APPLICATION/JSON\r\n"), Get("/")] },
        { "exists header", Http("""{"predicates":[{"exists":{"headers":{"Authorization":true},"query":{"debug":false}}}],"responses":[{"is":{"body":"authorized"}}]}"""),
            [Get("/", headers: "Authorization: Bearer x\r\n"), Get("/?debug=1", headers: "Authorization: Bearer x\r\n"), Get("/")] },
        { "JSON body", Http("""{"predicates":[{"equals":{"body":{"user":{"name":"Ann"}}}}],"responses":[{"is":{"body":"ann"}}]}"""),
            [Post("/", """{"user":{"name":"ann","age":3}}"""), Post("/", """{"user":{"name":"Bob"}}"""), Post("/", "plain")] },
        { "deepEquals JSON body", Http("""{"predicates":[{"deepEquals":{"body":{"a":1,"b":[2,3]}}}],"responses":[{"is":{"body":"same"}}]}"""),
            [Post("/", """{"b":[3,2],"a":1}"""), Post("/", """{"a":1,"b":[2,3],"c":4}""")] },
        { "array body", Http("""{"predicates":[{"equals":{"body":{"key":"third"}}}],"responses":[{"is":{"body":"found"}}]}"""),
            [Post("/", """[{"key":"first"},{"key":"third"}]"""), Post("/", """[{"key":"first"}]""")] },
        { "matches body", Http("""{"predicates":[{"matches":{"body":"^id=\\d+$","path":"^/items/"}}],"responses":[{"is":{"body":"item"}}]}"""),
            [Post("/items/1", "id=12"), Post("/items/1", "id=x"), Post("/other", "id=1")] },
        { "startsWith endsWith contains", Http("""{"predicates":[{"startsWith":{"path":"/api"}},{"endsWith":{"path":".json"}},{"contains":{"headers":{"Accept":"json"}}}],"responses":[{"is":{"body":"api"}}]}"""),
            [Get("/api/x.json", headers: "Accept: application/json\r\n"), Get("/api/x.xml", headers: "Accept: application/json\r\n"), Get("/api/x.json")] },
        { "not or and", Http("""{"predicates":[{"and":[{"or":[{"equals":{"method":"GET"}},{"equals":{"method":"HEAD"}}]},{"not":{"startsWith":{"path":"/private"}}}]}],"responses":[{"is":{"body":"public"}}]}"""),
            [Get("/"), Get("/private/x"), Get("/", "DELETE")] },
        { "except and caseSensitive", Http("""{"predicates":[{"equals":{"path":"/Users/"},"except":"\\d+","caseSensitive":true}],"responses":[{"is":{"body":"user"}}]}"""),
            [Get("/Users/42"), Get("/users/42")] },
        { "is with headers and JSON body", Http("""{"responses":[{"is":{"statusCode":202,"headers":{"X-Many":["1","2"],"Content-Length":1,"Content-Type":"application/json"},"body":{"ok":true,"list":[1,"é"]}}}]}"""),
            [Get("/")] },
        { "binary body", Http("""{"responses":[{"is":{"body":"AAEC/w==","_mode":"binary","headers":{"Content-Type":"application/octet-stream"}}}]}"""), [Get("/")] },
        { "copy from query", Http("""{"responses":[{"is":{"headers":{"X-Id":"${id}"},"body":"id is ${id}"},"behaviors":[{"copy":{"from":{"query":"id"},"into":"${id}","using":{"method":"regex","selector":"\\d+"}}}]}]}"""),
            [Get("/?id=abc123"), Get("/?id=none")] },
        { "jsonpath body", Http("""{"predicates":[{"equals":{"body":"shoes"},"jsonpath":{"selector":"$.order.items[0].name"}}],"responses":[{"is":{"body":"first is shoes"}}]}"""),
            [Post("/", """{"order":{"items":[{"name":"Shoes"},{"name":"hat"}]}}"""), Post("/", """{"order":{"items":[{"name":"hat"},{"name":"shoes"}]}}""")] },
        { "copy jsonpath from body", Http("""{"responses":[{"is":{"body":"hello ${who}"},"behaviors":[{"copy":{"from":"body","into":"${who}","using":{"method":"jsonpath","selector":"$.name"}}}]}]}"""),
            [Post("/", """{"name":"Ann"}"""), Post("/", "plain")] },
        { "response cycle", Http("""{"responses":[{"is":{"statusCode":503},"repeat":2},{"is":{"body":"up"}}]}"""), [Get("/"), Get("/"), Get("/"), Get("/")] },
        { "defaultResponse", """{"protocol":"http","recordRequests":true,"defaultResponse":{"statusCode":404,"body":"nope","headers":{"X-Default":"yes"}},"stubs":[{"predicates":[{"equals":{"path":"/here"}}],"responses":[{"is":{"body":"here"}}]}]}""",
            [Get("/here"), Get("/elsewhere")] },
        { "form", Http("""{"predicates":[{"equals":{"form":{"name":"a b"}}}],"responses":[{"is":{"body":"form"}}]}"""),
            [Post("/", "name=a+b&x=1", "application/x-www-form-urlencoded"), Post("/", "name=c")] },
    };

    private static string Tcp(string stub) => $$"""{"protocol":"tcp","recordRequests":true,"stubs":[{{stub}},{{NoMatch}}]}""";

    private static string Http(string stub) => $$"""{"protocol":"http","recordRequests":true,"stubs":[{{stub}}]}""";

    private static string Get(string target, string method = "GET", string headers = "") => $"{method} {target} HTTP/1.1\r\nHost: test\r\n{headers}\r\n";

    private static string Post(string target, string body, string type = "application/json") =>
        $"POST {target} HTTP/1.1\r\nHost: test\r\nContent-Type: {type}\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";

    [Theory]
    [MemberData(nameof(TcpCases))]
    public async Task Tcp_imposters_answer_as_mountebank_does(string name, string imposter, string[] requests)
    {
        peers.SkipUnlessReady();
        var (mb, sockit) = await peers.CreateBothAsync(imposter);
        try
        {
            foreach (var request in requests)
            {
                var data = Encoding.Latin1.GetBytes(request);
                if (!imposter.Contains("binary", StringComparison.Ordinal)) data = Encoding.UTF8.GetBytes(request);
                var expected = await MountebankFixture.TcpExchangeAsync(mb, data);
                var actual = await MountebankFixture.TcpExchangeAsync(sockit, data);
                Assert.True(expected.Reply.AsSpan().SequenceEqual(actual.Reply),
                    $"{name}, {request}: mountebank said '{Encoding.UTF8.GetString(expected.Reply)}', sockit '{Encoding.UTF8.GetString(actual.Reply)}'");
            }
            await AssertSameImposterAsync(mb, sockit);
        }
        finally
        {
            await peers.DeleteBothAsync(mb, sockit);
        }
    }

    [Theory]
    [MemberData(nameof(HttpCases))]
    public async Task Http_imposters_answer_as_mountebank_does(string name, string imposter, string[] requests)
    {
        peers.SkipUnlessReady();
        var (mb, sockit) = await peers.CreateBothAsync(imposter);
        try
        {
            foreach (var request in requests)
            {
                var expected = MountebankFixture.WithoutDate(await MountebankFixture.HttpExchangeAsync(mb, request));
                var actual = MountebankFixture.WithoutDate(await MountebankFixture.HttpExchangeAsync(sockit, request));
                Assert.True(expected == actual, $"{name}, {request.Split('\r')[0]}:\n--- mountebank\n{expected}\n--- sockit\n{actual}");
            }
            await AssertSameImposterAsync(mb, sockit);
        }
        finally
        {
            await peers.DeleteBothAsync(mb, sockit);
        }
    }

    public static TheoryData<string, string, bool> BadImposters => new()
    {
        { "malformed JSON", """{"protocol":"http",""", false },
        { "no protocol", """{"port":65000}""", false },
        { "unknown protocol", """{"protocol":"gopher"}""", false },
        { "bad port", """{"protocol":"http","port":70000}""", false },
        { "unknown predicate", """{"protocol":"http","stubs":[{"predicates":[{"foo":{"path":"/"}}],"responses":[{"is":{}}]}]}""", false },
        { "unknown response type", """{"protocol":"http","stubs":[{"responses":[{"bogus":{}}]}]}""", false },
        { "no responses", """{"protocol":"tcp","stubs":[{"responses":[]}]}""", false },
        { "two response types", """{"protocol":"tcp","stubs":[{"responses":[{"is":{"data":"x"},"fault":"CONNECTION_RESET_BY_PEER"}]}]}""", false },
        { "negative wait", """{"protocol":"tcp","stubs":[{"responses":[{"is":{"data":"x"},"behaviors":[{"wait":-1}]}]}]}""", false },
        { "jsonpath in binary mode", """{"protocol":"tcp","mode":"binary","stubs":[{"predicates":[{"equals":{"data":"AQ=="},"jsonpath":{"selector":"$.a"}}],"responses":[{"is":{"data":"AQ=="}}]}]}""", false },
        { "copy without into", """{"protocol":"tcp","stubs":[{"responses":[{"is":{"data":"x"},"behaviors":[{"copy":{"from":"data"}}]}]}]}""", false },
        { "repeat 0", """{"protocol":"tcp","stubs":[{"responses":[{"is":{"data":"x"},"repeat":0}]}]}""", false },
        { "tcp mode", """{"protocol":"tcp","mode":"hex"}""", false },
        { "matches in binary mode", """{"protocol":"tcp","mode":"binary","stubs":[{"predicates":[{"matches":{"data":"AA=="}}],"responses":[{"is":{"data":"AA=="}}]}]}""", false },
        { "inject", """{"protocol":"tcp","stubs":[{"responses":[{"inject":"function (config) { return {}; }"}]}]}""", true },
        { "decorate", """{"protocol":"tcp","stubs":[{"responses":[{"is":{"data":"x"},"behaviors":[{"decorate":"function () {}"}]}]}]}""", true },
        { "shellTransform", """{"protocol":"tcp","stubs":[{"responses":[{"is":{"data":"x"},"behaviors":[{"shellTransform":"echo"}]}]}]}""", true },
    };

    [Theory]
    [MemberData(nameof(BadImposters))]
    public async Task Bad_imposters_get_mountebanks_status_and_errors(string name, string imposter, bool codeOnly)
    {
        peers.SkipUnlessReady();
        var expected = await peers.CallAsync(peers.MbApi, "POST", "/imposters", imposter);
        var actual = await peers.CallAsync(peers.SockitApi, "POST", "/imposters", imposter);
        Assert.True(expected.Status == actual.Status, $"{name}: mountebank {expected.Status} {expected.Body}, sockit {actual.Status} {actual.Body}");
        Assert.Equal(400, actual.Status);
        if (codeOnly) Assert.Equal(Codes(expected.Body), Codes(actual.Body));
        else Assert.Equal(JsonNode.Parse(expected.Body)!.ToJsonString(), JsonNode.Parse(actual.Body)!.ToJsonString());
    }

    private static string Codes(string errors) => string.Join(",", JsonNode.Parse(errors)!["errors"]!.AsArray().Select(e => (string?)e!["code"]));

    [Fact]
    public async Task A_port_in_use_is_refused_as_mountebank_refuses_it()
    {
        peers.SkipUnlessReady();
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var imposter = $$"""{"protocol":"tcp","port":{{port}}}""";
        var expected = await peers.CallAsync(peers.MbApi, "POST", "/imposters", imposter);
        var actual = await peers.CallAsync(peers.SockitApi, "POST", "/imposters", imposter);
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(Codes(expected.Body), Codes(actual.Body));
        Assert.Contains("EADDRINUSE", actual.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stubs_are_added_replaced_and_deleted_at_an_index_as_in_mountebank()
    {
        peers.SkipUnlessReady();
        var (mb, sockit) = await peers.CreateBothAsync("""{"protocol":"tcp","recordRequests":true,"stubs":[{"responses":[{"is":{"data":"first"}}]}]}""");
        try
        {
            (string Method, string Path, string? Body)[] calls =
            [
                ("POST", "/stubs", """{"index":0,"stub":{"predicates":[{"equals":{"data":"a"}}],"responses":[{"is":{"data":"A"}}]}}"""),
                ("POST", "/stubs", """{"stub":{"responses":[{"is":{"data":"last"}}]}}"""),
                ("POST", "/stubs", """{"index":99,"stub":{"responses":[{"is":{"data":"x"}}]}}"""),
                ("POST", "/stubs", """{"index":0}"""),
                ("POST", "/stubs", """{"stub":{"responses":[{"nothing":{}}]}}"""),
                ("PUT", "/stubs/1", """{"responses":[{"is":{"data":"second"}}]}"""),
                ("PUT", "/stubs/99", """{"responses":[{"is":{"data":"x"}}]}"""),
                ("DELETE", "/stubs/2", null),
                ("DELETE", "/stubs/99", null),
                ("GET", "", null),
                ("PUT", "/stubs", """{"stubs":[{"predicates":[{"contains":{"data":"b"}}],"responses":[{"is":{"data":"B"}}]},{"responses":[{"is":{"data":"rest"}}]}]}"""),
                ("PUT", "/stubs", """{}"""),
                ("PUT", "/stubs", """{"stubs":{}}"""),
            ];
            foreach (var (method, path, body) in calls) await AssertSameCallAsync(mb, sockit, method, path, body);
            foreach (var request in (string[])["abc", "xyz"])
            {
                var expected = await MountebankFixture.TcpExchangeAsync(mb, Encoding.UTF8.GetBytes(request));
                var actual = await MountebankFixture.TcpExchangeAsync(sockit, Encoding.UTF8.GetBytes(request));
                Assert.Equal(Encoding.UTF8.GetString(expected.Reply), Encoding.UTF8.GetString(actual.Reply));
            }
            await AssertSameImposterAsync(mb, sockit);
            await AssertSameCallAsync(mb, sockit, "DELETE", "/savedRequests", null);
            await AssertSameImposterAsync(mb, sockit);
            // An imposter that does not exist.
            var missing = Ports.Free();
            foreach (var (method, path) in new[] { ("GET", $"/imposters/{missing}"), ("DELETE", $"/imposters/{missing}"), ("POST", $"/imposters/{missing}/stubs") })
            {
                var expected = await peers.CallAsync(peers.MbApi, method, path, method == "POST" ? """{"stub":{"responses":[{"is":{}}]}}""" : null);
                var actual = await peers.CallAsync(peers.SockitApi, method, path, method == "POST" ? """{"stub":{"responses":[{"is":{}}]}}""" : null);
                Assert.Equal(expected.Status, actual.Status);
                Assert.Equal(JsonNode.Parse(expected.Body)!.ToJsonString(), JsonNode.Parse(actual.Body)!.ToJsonString());
            }
        }
        finally
        {
            await peers.DeleteBothAsync(mb, sockit);
        }
    }

    [Fact]
    public async Task All_imposters_are_listed_replaced_and_deleted_as_in_mountebank()
    {
        peers.SkipUnlessReady();
        int[] mbPorts = [Ports.Free(), Ports.Free()], sockitPorts = [Ports.Free(), Ports.Free()];
        Array.Sort(mbPorts); // mountebank lists imposters by port
        Array.Sort(sockitPorts);
        string All(int[] ports) => $$$"""
            {"imposters":[{"protocol":"tcp","port":{{{ports[0]}}},"name":"one","stubs":[{"responses":[{"is":{"data":"1"}}]}]},
                          {"protocol":"http","port":{{{ports[1]}}},"stubs":[{"responses":[{"proxy":{"to":"http://127.0.0.1:9"}},{"is":{"body":"2"}}]}]}]}
            """;
        string Same(string json, int[] ports, Uri api) => MountebankFixture.Normalize(json, ports[0], api).Replace(ports[1].ToString(), "PORT2", StringComparison.Ordinal);
        try
        {
            foreach (var (method, path, body) in new (string, string, bool)[]
            {
                ("PUT", "/imposters", true), ("GET", "/imposters", false), ("GET", "/imposters?replayable=true", false), ("GET", "/imposters?removeProxies=true", false),
                ("DELETE", "/imposters", false),
            })
            {
                var expected = await peers.CallAsync(peers.MbApi, method, path, body ? All(mbPorts) : null);
                var actual = await peers.CallAsync(peers.SockitApi, method, path, body ? All(sockitPorts) : null);
                Assert.Equal(expected.Status, actual.Status);
                Assert.Equal(Same(expected.Body, mbPorts, peers.MbApi), Same(actual.Body, sockitPorts, peers.SockitApi));
            }
            var bad = await peers.CallAsync(peers.SockitApi, "PUT", "/imposters", "{}");
            Assert.Equal((await peers.CallAsync(peers.MbApi, "PUT", "/imposters", "{}")).Body, bad.Body);
        }
        finally
        {
            await peers.CallAsync(peers.MbApi, "DELETE", "/imposters");
            await peers.CallAsync(peers.SockitApi, "DELETE", "/imposters");
        }
    }

    [Theory]
    [InlineData("tcp", "CONNECTION_RESET_BY_PEER")]
    [InlineData("tcp", "RANDOM_DATA_THEN_CLOSE")]
    [InlineData("http", "CONNECTION_RESET_BY_PEER")]
    [InlineData("http", "RANDOM_DATA_THEN_CLOSE")]
    public async Task Faults_end_the_connection_as_in_mountebank(string protocol, string fault)
    {
        peers.SkipUnlessReady();
        var (mb, sockit) = await peers.CreateBothAsync($$"""{"protocol":"{{protocol}}","stubs":[{"responses":[{"fault":"{{fault}}"}]}]}""");
        try
        {
            var request = protocol == "tcp" ? "hello" : Get("/");
            var expected = await MountebankFixture.TcpExchangeAsync(mb, Encoding.UTF8.GetBytes(request));
            var actual = await MountebankFixture.TcpExchangeAsync(sockit, Encoding.UTF8.GetBytes(request));
            Assert.Equal(Encoding.UTF8.GetString(expected.Reply), Encoding.UTF8.GetString(actual.Reply));
            Assert.Equal(expected.Closed, actual.Closed);
            // The imposter goes on serving after a fault.
            Assert.Equal(expected.Reply.Length, (await MountebankFixture.TcpExchangeAsync(sockit, Encoding.UTF8.GetBytes(request))).Reply.Length);
        }
        finally
        {
            await peers.DeleteBothAsync(mb, sockit);
        }
    }

    [Fact]
    public async Task Wait_delays_the_reply_as_in_mountebank()
    {
        peers.SkipUnlessReady();
        var (mb, sockit) = await peers.CreateBothAsync("""{"protocol":"tcp","stubs":[{"responses":[{"is":{"data":"late"},"behaviors":[{"wait":300}]}]}]}""");
        try
        {
            foreach (var port in (int[])[mb, sockit])
            {
                var clock = Stopwatch.StartNew();
                var (reply, _) = await MountebankFixture.TcpExchangeAsync(port, "now"u8.ToArray());
                Assert.Equal("late", Encoding.UTF8.GetString(reply));
                Assert.InRange(clock.ElapsedMilliseconds, 290, 5000);
            }
        }
        finally
        {
            await peers.DeleteBothAsync(mb, sockit);
        }
    }

    [Theory]
    [InlineData("proxyOnce")]
    [InlineData("proxyAlways")]
    [InlineData("proxyTransparent")]
    public async Task Tcp_proxies_record_and_replay_as_in_mountebank(string mode)
    {
        peers.SkipUnlessReady();
        var upstream = Upstream.Tcp();
        var (mb, sockit) = await peers.CreateBothAsync($$$"""
            {"protocol":"tcp","recordRequests":true,"stubs":[{"responses":[{"proxy":{"to":"tcp://127.0.0.1:{{{upstream.Port}}}","mode":"{{{mode}}}",
             "predicateGenerators":[{"matches":{"data":true}}]}}]}]}
            """);
        try
        {
            string[] conversation = ["GET a\n", "GET b\n", "GET a\n"];
            foreach (var request in conversation) await AssertSameTcpReplyAsync(mb, sockit, request);
            await upstream.DisposeAsync();
            // The upstream is gone: what proxyOnce recorded answers. (The others go on proxying, and mountebank's error
            // then depends on how the dead upstream's socket went: refused or reset.)
            if (mode == "proxyOnce")
            {
                foreach (var request in conversation) await AssertSameTcpReplyAsync(mb, sockit, request);
            }
            await AssertSameImposterAsync(mb, sockit);
        }
        finally
        {
            await upstream.DisposeAsync();
            await peers.DeleteBothAsync(mb, sockit);
        }
    }

    [Theory]
    [InlineData("proxyOnce")]
    [InlineData("proxyAlways")]
    [InlineData("proxyTransparent")]
    public async Task Http_proxies_record_and_replay_as_in_mountebank(string mode)
    {
        peers.SkipUnlessReady();
        var upstream = Upstream.Http();
        var (mb, sockit) = await peers.CreateBothAsync($$$"""
            {"protocol":"http","recordRequests":true,"stubs":[{"responses":[{"proxy":{"to":"http://127.0.0.1:{{{upstream.Port}}}","mode":"{{{mode}}}",
             "predicateGenerators":[{"matches":{"method":true,"path":true}},{"matches":{"query":{"q":true}},"caseSensitive":true}]}}]}]}
            """);
        try
        {
            string[] conversation = [Get("/a?q=1"), Get("/b?q=2"), Get("/a?q=1"), Post("/a?q=1", """{"x":1}""")];
            foreach (var request in conversation) await AssertSameHttpReplyAsync(mb, sockit, request);
            await upstream.DisposeAsync();
            if (mode == "proxyOnce") // proxyAlways goes on proxying (its recording is saved with removeProxies), transparent records nothing
            {
                foreach (var request in conversation) await AssertSameHttpReplyAsync(mb, sockit, request);
            }
            await AssertSameImposterAsync(mb, sockit);
            // The recorded responses go; "requests" is mountebank's old name for it (not for savedRequests).
            foreach (var path in (string[])["/savedProxyResponses", "/requests"])
            {
                var expected = await peers.CallAsync(peers.MbApi, "DELETE", $"/imposters/{mb}{path}");
                var actual = await peers.CallAsync(peers.SockitApi, "DELETE", $"/imposters/{sockit}{path}");
                Assert.Equal(expected.Status, actual.Status);
                Assert.Equal(MountebankFixture.Normalize(expected.Body, mb, peers.MbApi), MountebankFixture.Normalize(actual.Body, sockit, peers.SockitApi));
            }
            await AssertSameImposterAsync(mb, sockit);
        }
        finally
        {
            await upstream.DisposeAsync();
            await peers.DeleteBothAsync(mb, sockit);
        }
    }

    [Fact]
    public async Task Https_imposters_answer_over_tls_as_mountebank_does()
    {
        peers.SkipUnlessReady();
        var (mb, sockit) = await peers.CreateBothAsync("""{"protocol":"https","stubs":[{"predicates":[{"equals":{"path":"/secure"}}],"responses":[{"is":{"statusCode":201,"body":"over tls"}}]}]}""");
        try
        {
            const string request = "GET /secure HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
            var expected = MountebankFixture.WithoutDate(await HttpsExchangeAsync(mb, request));
            var actual = MountebankFixture.WithoutDate(await HttpsExchangeAsync(sockit, request));
            Assert.StartsWith("HTTP/1.1 201", expected, StringComparison.Ordinal);
            Assert.True(expected == actual, $"--- mountebank\n{expected}\n--- sockit\n{actual}");
        }
        finally
        {
            await peers.DeleteBothAsync(mb, sockit);
        }
    }

    /// <summary>One HTTP exchange over TLS, trusting whatever certificate the imposter has (both make up their own).</summary>
    private static async Task<byte[]> HttpsExchangeAsync(int port, string request)
    {
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        await using var ssl = new System.Net.Security.SslStream(client.GetStream(), false, (_, _, _, _) => true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ssl.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "localhost" }, timeout.Token);
        await ssl.WriteAsync(Encoding.UTF8.GetBytes(request), timeout.Token);
        var all = new MemoryStream();
        try
        {
            await ssl.CopyToAsync(all, timeout.Token);
        }
        catch (IOException)
        {
            // a close without close_notify: what came before it is the answer
        }
        return all.ToArray();
    }

    private static async Task AssertSameTcpReplyAsync(int mb, int sockit, string request)
    {
        var expected = await MountebankFixture.TcpExchangeAsync(mb, Encoding.UTF8.GetBytes(request));
        var actual = await MountebankFixture.TcpExchangeAsync(sockit, Encoding.UTF8.GetBytes(request));
        Assert.Equal(Encoding.UTF8.GetString(expected.Reply), Encoding.UTF8.GetString(actual.Reply).Replace(sockit.ToString(), mb.ToString(), StringComparison.Ordinal));
    }

    private static async Task AssertSameHttpReplyAsync(int mb, int sockit, string request)
    {
        var expected = MountebankFixture.WithoutDate(await MountebankFixture.HttpExchangeAsync(mb, request));
        var actual = MountebankFixture.WithoutDate(await MountebankFixture.HttpExchangeAsync(sockit, request));
        Assert.True(expected == actual, $"{request.Split('\r')[0]}:\n--- mountebank\n{expected}\n--- sockit\n{actual}");
    }

    private async Task AssertSameCallAsync(int mb, int sockit, string method, string path, string? body)
    {
        var expected = await peers.CallAsync(peers.MbApi, method, $"/imposters/{mb}{path}", body);
        var actual = await peers.CallAsync(peers.SockitApi, method, $"/imposters/{sockit}{path}", body);
        Assert.True(expected.Status == actual.Status, $"{method} {path}: mountebank {expected.Status} {expected.Body}, sockit {actual.Status} {actual.Body}");
        Assert.Equal(MountebankFixture.Normalize(expected.Body, mb, peers.MbApi), MountebankFixture.Normalize(actual.Body, sockit, peers.SockitApi));
    }

    /// <summary>The imposter as each API prints it after the traffic: the same stubs, counts and recorded requests.</summary>
    private async Task AssertSameImposterAsync(int mb, int sockit)
    {
        foreach (var query in (string[])["", "?replayable=true", "?removeProxies=true"])
        {
            var expected = await peers.CallAsync(peers.MbApi, "GET", $"/imposters/{mb}{query}");
            var actual = await peers.CallAsync(peers.SockitApi, "GET", $"/imposters/{sockit}{query}");
            Assert.Equal(expected.Status, actual.Status);
            Assert.Equal(MountebankFixture.Normalize(expected.Body, mb, peers.MbApi), MountebankFixture.Normalize(actual.Body, sockit, peers.SockitApi));
        }
    }
}
