using Sockit.Testing;
using PublicApiGenerator;
using Sockit.Endpoints;

namespace Sockit.Tests;

/// <summary>
/// The library's public surface is a promise: this snapshot makes every change to it a diff in review. After a
/// deliberate change, copy PublicApi.received.txt over PublicApi.approved.txt (the failure names both).
/// </summary>
public sealed class PublicApiTests
{
    private const int MaxPublicTypes = 31;

    [Fact]
    public void Public_api_matches_the_approved_snapshot()
    {
        var actual = typeof(Endpoint).Assembly.GeneratePublicApi(new ApiGeneratorOptions
        {
            ExcludeAttributes = ["System.Runtime.Versioning.TargetFrameworkAttribute", "System.Reflection.AssemblyMetadataAttribute",
                "System.Runtime.CompilerServices.InternalsVisibleToAttribute"],
        }).ReplaceLineEndings("\n");
        var approvedPath = Path.Combine(Repository.TestSources("Sockit.Tests"), "PublicApi.approved.txt");
        var receivedPath = Path.Combine(Repository.TestSources("Sockit.Tests"), "PublicApi.received.txt");
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : "";
        if (actual == approved)
        {
            File.Delete(receivedPath);
            return;
        }
        File.WriteAllText(receivedPath, actual);
        Assert.Fail($"the public API changed: compare {receivedPath} with {approvedPath}, and copy it over if the change is meant");
    }

    [Fact]
    public void Public_surface_stays_small()
    {
        var types = typeof(Endpoint).Assembly.GetExportedTypes();
        Assert.True(types.Length <= MaxPublicTypes,
            $"{types.Length} public types, over the {MaxPublicTypes} we promise: {string.Join(", ", types.Select(t => t.Name).Order())}");
        // No third-party type in a public signature: users must not depend on what we happen to build on.
        var foreign = types.SelectMany(t => t.GetMembers())
            .SelectMany(m => m switch
            {
                System.Reflection.PropertyInfo p => [p.PropertyType],
                System.Reflection.MethodInfo mi => mi.GetParameters().Select(p => p.ParameterType).Append(mi.ReturnType),
                System.Reflection.FieldInfo f => [f.FieldType],
                _ => Array.Empty<Type>(),
            })
            .Where(t => t.Assembly.GetName().Name is { } name && !name.StartsWith("System", StringComparison.Ordinal)
                && !name.StartsWith("Microsoft.Extensions.Logging", StringComparison.Ordinal) && name != "Sockit")
            .Select(t => t.FullName).Distinct().ToList();
        Assert.Empty(foreign);
    }
}
