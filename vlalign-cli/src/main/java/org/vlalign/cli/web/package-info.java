/**
 * The local web demo behind {@code vlalign serve}: a search box over an indexed image folder and a chat
 * about a picked or uploaded image, served by the JDK's built-in HTTP server on the loopback address.
 *
 * <p>{@link org.vlalign.cli.web.WebDemo} is the entry point; the page itself (HTML, CSS and
 * JavaScript, no build step and nothing loaded from elsewhere) lives in the resources of this package.
 *
 * @since 0.1.0
 */
package org.vlalign.cli.web;
