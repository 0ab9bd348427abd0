package org.vlalign.cli.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.Color;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.vlalign.Chat;
import org.vlalign.DecodingStrategy;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.testing.TestImages;

/**
 * The demo as a person uses it, in real headless Chromium driven by Selenium: search, pick a result, ask,
 * watch the answer stream in, change the beams, upload an image. Screenshots go to {@code
 * target/screenshots}.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver} (or the paths in the system properties
 * {@code vlalign.chromium} and {@code vlalign.chromedriver}); without them it fails, saying how to install
 * them, as CI installs them.
 */
class WebDemoBrowserTest {
    private static final String CHROMIUM = System.getProperty("vlalign.chromium", "/usr/bin/chromium");
    private static final String CHROMEDRIVER = System.getProperty("vlalign.chromedriver", "/usr/bin/chromedriver");
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int IMAGES = 20;

    @TempDir static Path tmp;

    private static TinyDemo fixture;
    private static WebDemo demo;
    private static ChromeDriverService service;
    private static WebDriver driver;
    private static Path screenshots;

    @BeforeAll
    static void start() throws IOException {
        if (!Files.isExecutable(Path.of(CHROMIUM)) || !Files.isExecutable(Path.of(CHROMEDRIVER))) {
            fail("The browser test needs Chromium and its driver at " + CHROMIUM + " and " + CHROMEDRIVER
                    + ". Install them with: apt-get update && apt-get install -y chromium chromium-driver"
                    + " (or point -Dvlalign.chromium and -Dvlalign.chromedriver at them).");
        }
        screenshots = Files.createDirectories(Path.of(System.getProperty("basedir", "."))
                .resolve("target/screenshots"));
        fixture = TinyDemo.start(tmp, 21, IMAGES,
                b -> b.modelName("tiny-llava").log(new PrintWriter(new StringWriter())));
        demo = fixture.demo();

        service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER))
                .usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,900",
                "--user-data-dir=" + Files.createDirectories(tmp.resolve("chromium-profile")));
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(WAIT).scriptTimeout(WAIT);
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
        if (service != null) {
            service.stop();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void should_show_the_attention_map_beside_the_answer_when_the_box_is_ticked() throws IOException {
        WebDriverWait wait = openPage(IMAGES + " images indexed");
        wait.until(d -> d.findElements(By.cssSelector("#gallery .hit")).size() == 15);
        driver.findElements(By.cssSelector("#gallery .hit")).get(0).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("question")));

        // more than one beam turns the box off: a map is drawn for one answer
        WebElement beams = driver.findElement(By.id("beams"));
        beams.clear();
        beams.sendKeys("2");
        assertFalse(driver.findElement(By.id("attention-map")).isEnabled());
        beams.clear();
        beams.sendKeys("1");
        WebElement box = driver.findElement(By.id("attention-map"));
        wait.until(d -> box.isEnabled());
        box.click();
        type(By.id("question"), "what is in this image ?");
        driver.findElement(By.id("ask-button")).click();
        wait.until(d -> d.findElements(By.cssSelector("#transcript .turn.assistant[data-state=done]")).size() == 1);
        wait.until(d -> (Boolean) js("const i = document.querySelector('#transcript .turn.assistant"
                + " img.attention-map'); return i !== null && i.complete && i.naturalWidth > 0;"));
        shoot("5-attention-map");

        // unticked, the next answer comes without one
        box.click();
        type(By.id("question"), "and the colour ?");
        driver.findElement(By.id("ask-button")).click();
        wait.until(d -> d.findElements(By.cssSelector("#transcript .turn.assistant[data-state=done]")).size() == 2);
        assertEquals(1, driver.findElements(By.cssSelector("#transcript img.attention-map")).size());
    }

    @Test
    void should_search_chat_stream_change_beams_and_upload_in_the_browser() throws IOException {
        WebDriverWait wait = openPage(IMAGES + " images indexed");

        // the page opens with the example search's results, and the boxes show examples that fit the model
        wait.until(d -> d.findElements(By.cssSelector("#gallery .hit")).size() == 15);
        assertTrue(driver.findElement(By.id("search-message")).getText().startsWith("Examples:"));
        assertEquals("a dog on a beach", driver.findElement(By.id("search-input")).getAttribute("placeholder"));

        // search: the default 15 results, each with a loaded image and a score, best first
        type(By.id("search-input"), "a red square");
        driver.findElement(By.id("search-button")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("search-message"), "a red square"));
        List<WebElement> hits = driver.findElements(By.cssSelector("#gallery .hit"));
        wait.until(d -> (Boolean) js("return Array.from(document.querySelectorAll('#gallery img'))"
                + ".every(i => i.complete && i.naturalWidth > 0)"));
        List<Double> scores = new ArrayList<>();
        for (WebElement hit : hits) {
            scores.add(Double.parseDouble(hit.findElement(By.className("score")).getText()));
        }
        for (int i = 1; i < scores.size(); i++) {
            assertTrue(scores.get(i - 1) >= scores.get(i), "scores must be in descending order: " + scores);
        }
        shoot("1-search");

        // pick the third result: the chat opens about it
        WebElement picked = hits.get(2);
        String imageId = picked.getAttribute("data-id");
        picked.click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("question")));
        wait.until(ExpectedConditions.textToBe(By.id("chat-caption"), imageId));
        assertEquals("true", picked.getAttribute("aria-pressed"));

        // ask: record every text the answer shows while it streams. Each update replaces the answer's text node,
        // so the nodes the mutation records add hold every intermediate text, even when a busy browser reads
        // several tokens in one chunk and the observer sees their mutations in one batch.
        js("window.__seen = []; new MutationObserver(records => { for (const r of records) {"
                + " if (r.target.nodeType === 1 && r.target.matches('#transcript .turn.assistant:last-child .text')) {"
                + " r.addedNodes.forEach(n => window.__seen.push(n.textContent)); } } })"
                + ".observe(document.getElementById('transcript'), {subtree: true, childList: true,"
                + " characterData: true});");
        type(By.id("question"), "what is in this image ?");
        driver.findElement(By.id("ask-button")).click();
        wait.until(d -> d.findElements(By.cssSelector("#transcript .turn.assistant[data-state=done]")).size() == 1);
        String first = driver.findElement(By.cssSelector("#transcript .turn.assistant .text")).getText();
        List<?> seen = (List<?>) js("return window.__seen.filter(t => t.length > 0 && t !== '…')"
                + ".filter((t, i, all) => all.indexOf(t) === i);");
        shoot("2-answer");

        Chat direct = fixture.llava().newChat(ImageInput.of(fixture.images().resolve(imageId)));
        String expectedFirst = direct.send("what is in this image ?",
                GenerationConfig.builder().maxNewTokens(GenerationParams.DEFAULT_NEW_TOKENS).build(), t -> {})
                .text();
        assertEquals(expectedFirst.strip(), first.strip());
        assertFalse(first.isBlank(), "the answer should not be empty");
        assertTrue(seen.size() >= 2, "the answer should appear piece by piece, saw: " + seen);

        // more beams: the second answer is the model's 3-beam answer in the same conversation
        WebElement beams = driver.findElement(By.id("beams"));
        beams.clear();
        beams.sendKeys("3");
        type(By.id("question"), "and the colour ?");
        driver.findElement(By.id("ask-button")).click();
        wait.until(d -> d.findElements(By.cssSelector("#transcript .turn.assistant[data-state=done]")).size() == 2);
        List<WebElement> turns = driver.findElements(By.cssSelector("#transcript .turn"));
        assertEquals(4, turns.size(), "two questions and two answers");
        String second = driver.findElements(By.cssSelector("#transcript .turn.assistant .text")).get(1).getText();
        String expectedSecond = direct.send("and the colour ?", GenerationConfig.builder()
                .maxNewTokens(GenerationParams.DEFAULT_NEW_TOKENS).strategy(DecodingStrategy.Beam.of(3)).build(),
                t -> {}).text();
        assertEquals(expectedSecond.strip(), second.strip());
        shoot("3-beams");

        // upload a new image, add it to the index, and ask about it
        Path upload = tmp.resolve("my-photo.png");
        Files.write(upload, TestImages.png(64, Color.ORANGE, Color.BLUE));
        driver.findElement(By.id("upload-input")).sendKeys(upload.toString());
        driver.findElement(By.id("upload-index")).click();
        driver.findElement(By.id("upload-button")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("upload-message"),
                "Added my-photo.png to the index"));
        wait.until(ExpectedConditions.textToBe(By.id("chat-caption"), "my-photo.png"));
        assertEquals(0, driver.findElements(By.cssSelector("#transcript .turn")).size(), "a new chat");
        assertEquals(IMAGES + 1, demo.indexedImages());
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"),
                (IMAGES + 1) + " images indexed"));
        type(By.id("question"), "describe this image");
        driver.findElement(By.id("ask-button")).click();
        wait.until(d -> d.findElements(By.cssSelector("#transcript .turn.assistant[data-state=done]")).size() == 1);
        assertFalse(driver.findElement(By.cssSelector("#transcript .turn.assistant .text")).getText().isBlank());
        assertTrue((Boolean) js("const r = document.getElementById('question').getBoundingClientRect();"
                + " return r.top >= 0 && r.bottom <= window.innerHeight;"), "the question box stays in view");
        shoot("4-upload");

        // a new chat about the same image forgets the turns
        driver.findElement(By.id("new-chat")).click();
        wait.until(d -> d.findElements(By.cssSelector("#transcript .turn")).isEmpty());
        assertEquals("my-photo.png", driver.findElement(By.id("chat-caption")).getText());
    }

    @Test
    void should_show_the_server_message_when_the_question_is_refused() {
        WebDriverWait wait = openPage("images indexed");
        type(By.id("search-input"), "blue");
        driver.findElement(By.id("search-button")).click();
        // the page opens with its example search's hits: wait for this search's own, or the hit clicked below
        // can be replaced under the click (a stale element)
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("search-message"), "\u201cblue\u201d"));
        wait.until(d -> !d.findElements(By.cssSelector("#gallery .hit")).isEmpty());
        driver.findElements(By.cssSelector("#gallery .hit")).get(0).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("question")));
        // beyond the server's limit, which the page's own limit would normally prevent
        js("document.getElementById('max-tokens').max = 100000;"
                + " document.getElementById('max-tokens').value = 100000;");
        type(By.id("question"), "what is it ?");
        driver.findElement(By.id("ask-button")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("chat-message"), "maxNewTokens"));
        assertEquals("error", driver.findElement(By.cssSelector("#transcript .turn.assistant"))
                .getAttribute("data-state"));
    }

    @Test
    void should_label_every_control_and_describe_every_image() {
        WebDriverWait wait = openPage("images indexed");
        type(By.id("search-input"), "green grass");
        driver.findElement(By.id("search-button")).sendKeys(org.openqa.selenium.Keys.ENTER);
        wait.until(d -> !d.findElements(By.cssSelector("#gallery .hit")).isEmpty());

        Object unlabelled = js("return Array.from(document.querySelectorAll('input, textarea, select, button'))"
                + ".filter(e => e.labels && e.labels.length === 0 && !e.getAttribute('aria-label')"
                + " && !(e.tagName === 'BUTTON' && e.textContent.trim())).map(e => e.id || e.outerHTML);");
        Object noAlt = js("return Array.from(document.querySelectorAll('img')).filter(i => !i.hasAttribute('alt'))"
                + ".map(i => i.outerHTML);");
        assertEquals(List.of(), unlabelled, "every control needs a label");
        assertEquals(List.of(), noAlt, "every image needs an alt attribute");
        assertEquals("en", driver.findElement(By.tagName("html")).getAttribute("lang"));
    }

    /** Opens the demo's page, waits until its status line shows {@code indexed}, and returns the wait. */
    private static WebDriverWait openPage(String indexed) {
        WebDriverWait wait = new WebDriverWait(driver, WAIT);
        driver.get(demo.uri().toString());
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), indexed));
        return wait;
    }

    private static void type(By by, String text) {
        WebElement e = driver.findElement(by);
        e.clear();
        e.sendKeys(text);
    }

    private static Object js(String script) {
        return ((JavascriptExecutor) driver).executeScript(script);
    }

    private static void shoot(String name) throws IOException {
        File png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Files.copy(png.toPath(), screenshots.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
