namespace Sockit.Mock;

/// <summary>
/// A <see cref="MockServer.AssertReceived"/> that did not hold: the message names what was expected and lists what the
/// mock received instead. Any test framework reports it as a failure.
/// </summary>
public sealed class MockAssertionException : Exception
{
    /// <summary>Creates the exception with its message.</summary>
    public MockAssertionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its message and cause.</summary>
    public MockAssertionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public MockAssertionException()
        : base("the mock did not receive what was expected")
    {
    }
}
