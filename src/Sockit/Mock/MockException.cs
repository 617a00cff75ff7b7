namespace Sockit.Mock;

/// <summary>An imposter or a stub the mock refused, with each of mountebank's errors.</summary>
internal sealed class MockException : Exception
{
    internal MockException(List<MockError> errors) : base(string.Join("; ", errors.Select(e => e.Message))) => Errors = errors;

    /// <summary>Every error, as mountebank reports them.</summary>
    public IReadOnlyList<MockError> Errors { get; }
}
